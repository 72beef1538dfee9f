package config_test

import (
	"strings"
	"testing"

	"github.com/ketacare/api/internal/config"
)

func TestCrisisResourcesDefault(t *testing.T) {
	c, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.CrisisResources) != 2 || !strings.Contains(c.CrisisResources[0].Contact, "988") ||
		!strings.Contains(c.CrisisResources[1].Contact, "local emergency number") {
		t.Fatalf("default crisis resources: %+v", c.CrisisResources)
	}
}

func TestCrisisResourcesConfigured(t *testing.T) {
	c, err := config.Load([]string{`CRISIS_RESOURCES=[{"name":"Samaritans (UK and Ireland)","contact":"Call 116 123","url":"https://www.samaritans.org"},{"name":"Emergency services","contact":"Call 999 or 112"}]`})
	if err != nil {
		t.Fatal(err)
	}
	want := config.CrisisResources{
		{Name: "Samaritans (UK and Ireland)", Contact: "Call 116 123", URL: "https://www.samaritans.org"},
		{Name: "Emergency services", Contact: "Call 999 or 112"},
	}
	if len(c.CrisisResources) != len(want) || c.CrisisResources[0] != want[0] || c.CrisisResources[1] != want[1] {
		t.Fatalf("got %+v", c.CrisisResources)
	}
}

func TestCrisisResourcesRejected(t *testing.T) {
	for _, v := range []string{
		`call 988`,
		`[]`,
		`[{"name":"Lifeline"}]`,
		`[{"name":" ","contact":"Call 988"}]`,
		`[{"name":"Lifeline","phone":"988"}]`,
		`[{"name":"Lifeline","contact":"Call 988","url":"988lifeline.org"}]`,
		`[{"name":"Lifeline","contact":"Call 988"}] [{"name":"x","contact":"y"}]`,
	} {
		t.Run(v, func(t *testing.T) {
			_, err := config.Load([]string{"CRISIS_RESOURCES=" + v})
			if err == nil {
				t.Fatal("want an error")
			}
			if msg := err.Error(); !strings.Contains(msg, "CRISIS_RESOURCES") || strings.Contains(msg, "\n") {
				t.Fatalf("want one line naming CRISIS_RESOURCES, got %q", msg)
			}
		})
	}
}
