package config_test

import (
	"strings"
	"testing"

	"github.com/ketacare/api/internal/config"
)

// TestCrisisResourceURLIsBounded keeps crisis resource URLs within the
// 2000 characters the spec declares for them.
func TestCrisisResourceURLIsBounded(t *testing.T) {
	load := func(n int) error {
		url := "https://988lifeline.org/" + strings.Repeat("a", n-len("https://988lifeline.org/"))
		_, err := config.Load([]string{`CRISIS_RESOURCES=[{"name":"Lifeline","contact":"Call 988","url":"` + url + `"}]`})
		return err
	}
	if err := load(2000); err != nil {
		t.Fatalf("a URL of 2000 characters: %v", err)
	}
	if err := load(2001); err == nil || !strings.Contains(err.Error(), "CRISIS_RESOURCES") {
		t.Fatalf("a URL of 2001 characters: want an error naming CRISIS_RESOURCES, got %v", err)
	}
}
