package auth

// LoadCommonLists parses the embedded lists again, for the benchmark of what
// holding them costs.
func LoadCommonLists() []string { return loadCommon(generatedList, projectList) }

// CommonListLen is how many distinct entries the loaded lists hold.
func CommonListLen() int { return len(common) }
