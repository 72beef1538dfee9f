package auth_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ketacare/api/internal/apperr"
	"github.com/ketacare/api/internal/auth"
)

func TestPasswordPolicy(t *testing.T) {
	river := auth.Owner{Email: "River.Song@example.com", Name: "Melody Pond"}
	alex := auth.Owner{Email: "alex@example.com", Name: "Alex"}
	shortNames := auth.Owner{Email: "al@example.com", Name: "Al Bo"}
	admin := auth.Owner{Email: "admin@clinic.example", Name: "Clinic admin"}
	mixed128 := strings.Repeat("é-", 64)

	tests := []struct {
		name     string
		password string
		owner    auth.Owner
		want     string // the reason, "" when accepted
	}{
		{"a passphrase", "tide-pool-lantern", alex, ""},
		{"10 varied characters", "Ωμέγα-άλφα", alex, ""},
		{"128 characters", mixed128, alex, ""},
		{"words of the email's domain are not personal", "example-of-a-passphrase", alex, ""},
		{"names under 4 letters refuse nothing by themselves", "always-all-alike", shortNames, ""},
		{"a name's short words are not searched apart", "sparkling-dew", auth.Owner{Email: "mo@example.com", Name: "Dew Ark"}, ""},

		// The passwords of the README, the spec, the Postman collection and the
		// typed client's journey, with the accounts they are for.
		{"example: README", "tide-pool-lantern", alex, ""},
		{"example: spec register", "correct-horse-battery", alex, ""},
		{"example: spec change", "harbour-light-at-dusk", alex, ""},
		{"example: spec reset", "a-temporary-passphrase-42", alex, ""},
		{"example: clinician", "a-long-initial-passphrase", auth.Owner{Email: "dr.rivera@clinic.example", Name: "Dr. Sam Rivera"}, ""},
		{"example: ADMIN_PASSWORD", "change-this-passphrase-now", admin, ""},
		{"example: Postman", "quiet-harbour-morning", auth.Owner{Email: "sam.1712@example.com", Name: "Sam Patel"}, ""},
		{"example: journey", "tide-pool-lantern-dawn", auth.Owner{Email: "patient-0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f@example.com", Name: "Journey Patient"}, ""},
		{"example: journey's previous user", "tide-pool-lantern-dawn", auth.Owner{Email: "patient-0192f5a8-6a2b-7c3d-9e4f-1a2b3c4d5e6f@example.com", Name: "Previous User"}, ""},

		{"empty", "", alex, auth.ReasonBlank},
		{"spaces", "            ", alex, auth.ReasonBlank},
		{"mixed whitespace", "\t \n\u00a0\u2003 \r\n  \t", alex, auth.ReasonBlank},
		{"short whitespace", "  ", alex, auth.ReasonBlank},
		{"too short", "short", alex, auth.ReasonTooShort},
		{"9 characters", "tide-pool", alex, auth.ReasonTooShort},
		{"too long", mixed128 + "x", alex, auth.ReasonTooLong},
		{"one letter repeated", "aaaaaaaaaaaa", alex, auth.ReasonRepeated},
		{"one accented letter repeated", strings.Repeat("é", 10), alex, auth.ReasonRepeated},
		{"one symbol repeated", "!!!!!!!!!!!!!!!!!!!!", alex, auth.ReasonRepeated},
		{"one digit repeated", "7777777777", alex, auth.ReasonRepeated},
		{"the project's list", "qwertyuiop", alex, auth.ReasonCommon},
		{"the project's list in another case", "PassWord123", alex, auth.ReasonCommon},
		{"a listed password with spaces around it", "  password123 ", alex, auth.ReasonCommon},
		{"zxcvbn-ts passwords", "4815162342", alex, auth.ReasonCommon},
		{"zxcvbn-ts passwords in capitals", "A789456123", alex, auth.ReasonCommon},
		{"zxcvbn-ts English common words", "Understand", alex, auth.ReasonCommon},
		{"a common word of 10 letters with an accent", "Quinceañera", alex, auth.ReasonCommon},
		{"the whole email", "my-river.song@example.com", river, auth.ReasonEmail},
		{"the email's local part in capitals", "RIVER.SONG-forever", river, auth.ReasonEmail},
		{"a word of the email", "songbird-at-night", river, auth.ReasonEmail},
		{"the email's words run together", "R-i-v-e-r_S-o-n-g!!", river, auth.ReasonEmail},
		{"a whole short email", "call-al@example.com", shortNames, auth.ReasonEmail},
		{"a word of the name", "melody-in-my-head", river, auth.ReasonName},
		{"another word of the name", "lily-POND-morning", river, auth.ReasonName},
		{"the name's words run together", "m.e.l.o.d.y p.o.n.d", river, auth.ReasonName},
		{"a short name run together", "tidal-bore-lantern", shortNames, auth.ReasonName},
		{"a name in another script", "μαρία-και-γιάννης", auth.Owner{Email: "m@example.com", Name: "Μαρία"}, auth.ReasonName},
		{"the README's old admin example", "change-me-admin-passphrase", admin, auth.ReasonEmail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := auth.CheckPolicy("new_password", tc.password, tc.owner)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != apperr.Invalid || len(e.Fields) != 1 {
				t.Fatalf("want one invalid field, got %v", err)
			}
			f := e.Fields[0]
			if f.Field != "new_password" || f.Reason != tc.want {
				t.Fatalf("got %s: %q, want new_password: %q", f.Field, f.Reason, tc.want)
			}
			// The reason names the rule, never the secret or who it belongs to.
			for _, secret := range []string{tc.password, strings.TrimSpace(tc.password), tc.owner.Email, tc.owner.Name} {
				if strings.TrimSpace(secret) != "" && (strings.Contains(strings.ToLower(f.Reason), strings.ToLower(secret)) ||
					strings.Contains(strings.ToLower(e.Message), strings.ToLower(secret))) {
					t.Fatalf("the problem repeats %q: %+v", secret, e)
				}
			}
		})
	}
}

// TestCommonPasswordLists checks the shipped lists are what COMMON_PASSWORDS.md
// says: the generated one sorted by bytes, distinct, lower-case, each entry
// 10 characters or more with no surrounding space; the project's one
// lower-case and as long.
func TestCommonPasswordLists(t *testing.T) {
	entries := func(file string) []string {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for line := range strings.Lines(string(raw)) {
			if !strings.HasPrefix(line, "#") {
				out = append(out, strings.TrimSuffix(line, "\n"))
			}
		}
		return out
	}
	generated, project := entries("common_passwords.txt"), entries("common_passwords_project.txt")
	if len(generated) < 9000 {
		t.Fatalf("the generated list has %d entries; regenerate it", len(generated))
	}
	if !slices.IsSortedFunc(generated, func(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) }) ||
		len(slices.Compact(slices.Clone(generated))) != len(generated) {
		t.Fatal("the generated list is not sorted and distinct")
	}
	for _, w := range append(generated, project...) {
		if w != strings.ToLower(strings.TrimSpace(w)) || utf8.RuneCountInString(w) < auth.MinPasswordLen || !utf8.ValidString(w) {
			t.Errorf("entry %q is not lower-case, trimmed and 10 characters or more", w)
		}
		if err := auth.CheckPolicy("password", w, auth.Owner{}); err == nil && w != "" {
			t.Errorf("the listed %q is accepted", w)
		}
	}
	if n := auth.CommonListLen(); n < len(generated) || n > len(generated)+len(project) {
		t.Fatalf("%d entries loaded from %d + %d", n, len(generated), len(project))
	}
}

// BenchmarkCheckPolicy checks an accepted password, which runs every rule:
// the list's binary search and the search for the account's words.
func BenchmarkCheckPolicy(b *testing.B) {
	owner := auth.Owner{Email: "dr.sam.rivera@clinic.example", Name: "Dr. Sam Rivera"}
	b.ReportAllocs()
	for b.Loop() {
		if err := auth.CheckPolicy("password", "tide-pool-lantern-at-dusk", owner); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckPolicyCommon checks a listed password in capitals.
func BenchmarkCheckPolicyCommon(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := auth.CheckPolicy("password", "Understand", auth.Owner{}); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkLoadCommonLists parses the embedded lists as the package does once
// at start: B/op is the heap the loaded list keeps.
func BenchmarkLoadCommonLists(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(auth.LoadCommonLists()) == 0 {
			b.Fatal("empty")
		}
	}
}
