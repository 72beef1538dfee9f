package handlers

// ExportPageSize lets the external tests count the pages an export reads.
const ExportPageSize = exportPageSize
