package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// CrisisResource is a service a patient in crisis can reach, shown when
// their answers raise a safety alert.
type CrisisResource struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
	URL     string `json:"url,omitempty"`
}

// CrisisResources is CRISIS_RESOURCES: a JSON array of resources, such as
// [{"name":"988 Suicide & Crisis Lifeline","contact":"Call or text 988","url":"https://988lifeline.org"}].
type CrisisResources []CrisisResource

// UnmarshalText reads the JSON array the variable holds; unknown keys are
// refused so that a misspelt "contact" is caught at start-up, not in a crisis.
func (r *CrisisResources) UnmarshalText(text []byte) error {
	dec := json.NewDecoder(strings.NewReader(string(text)))
	dec.DisallowUnknownFields()
	var out []CrisisResource
	if err := dec.Decode(&out); err != nil {
		return fmt.Errorf("must be a JSON array of {\"name\", \"contact\", \"url\"} objects: %v", err)
	}
	if dec.More() {
		return errors.New("must be a single JSON array")
	}
	*r = out
	return nil
}

// DefaultCrisisResources apply when CRISIS_RESOURCES is unset: a clinic
// outside the United States sets its own.
var DefaultCrisisResources = CrisisResources{
	{Name: "988 Suicide & Crisis Lifeline (United States)", Contact: "Call or text 988", URL: "https://988lifeline.org"},
	{Name: "Emergency services", Contact: "Call your local emergency number (911 in the United States)"},
}

// maxCrisisResources bounds the list a patient in crisis has to read.
const maxCrisisResources = 10

// check fills the default and makes sure every resource can be shown.
func (r *CrisisResources) check() error {
	if *r == nil {
		*r = DefaultCrisisResources
	}
	if len(*r) == 0 || len(*r) > maxCrisisResources {
		return fmt.Errorf("must list 1 to %d resources", maxCrisisResources)
	}
	for i, c := range *r {
		if strings.TrimSpace(c.Name) == "" || strings.TrimSpace(c.Contact) == "" {
			return fmt.Errorf("resource %d needs a name and a contact", i+1)
		}
		if len(c.Name) > 200 || len(c.Contact) > 200 {
			return fmt.Errorf("resource %d: name and contact must be at most 200 characters", i+1)
		}
		if c.URL != "" {
			u, err := url.Parse(c.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(c.URL) > 2000 {
				return fmt.Errorf("resource %d: url must be an http(s) URL of at most 2000 characters", i+1)
			}
		}
	}
	return nil
}
