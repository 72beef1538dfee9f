// Package layers holds no code: its test is the rule of which of the
// project's packages may import which (ARCHITECTURE.md draws it). A package
// that imports what its layer may not, or a new package the rule does not
// place yet, fails the test.
package layers
