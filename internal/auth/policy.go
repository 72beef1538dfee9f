package auth

import (
	_ "embed"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ketacare/api/internal/apperr"
)

// Password length bounds, in characters (Unicode code points), as NIST
// SP 800-63B asks: at least 10 here, and room for long passphrases.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

// MinContextWord is the shortest word of an account's email or name that a
// password must not contain. Shorter ones (Al, Ida, Sam) occur inside too
// many ordinary words to refuse.
const MinContextWord = 4

// The reasons CheckPolicy gives. Each names the rule broken and never
// repeats the password, the email or the name: a problem document is logged
// and shown, and must not carry a secret.
const (
	ReasonBlank    = "must not be blank or only whitespace"
	ReasonTooShort = "must be at least 10 characters"
	ReasonTooLong  = "must be at most 128 characters"
	ReasonRepeated = "must not be one character repeated"
	ReasonCommon   = "is a commonly used password; choose another"
	ReasonEmail    = "must not contain the account's email address"
	ReasonName     = "must not contain the account's name"
)

// Owner is the account a password is for: a password containing its email
// or name is among the first an attacker who knows the account tries.
type Owner struct {
	Email string
	Name  string
}

// The lists of commonly used passwords: one generated from published lists
// (see COMMON_PASSWORDS.md), one kept by hand.
var (
	//go:embed common_passwords.txt
	generatedList string
	//go:embed common_passwords_project.txt
	projectList string
)

// common holds both lists, lower-cased and sorted for binary search. Its
// strings point into the embedded text, so the list costs the heap one
// string header per entry.
var common = loadCommon(generatedList, projectList)

func loadCommon(texts ...string) []string {
	n := 0
	for _, t := range texts {
		n += strings.Count(t, "\n")
	}
	out := make([]string, 0, n)
	for _, t := range texts {
		for line := range strings.Lines(t) {
			if w := strings.TrimSpace(line); w != "" && !strings.HasPrefix(w, "#") {
				out = append(out, strings.ToLower(w))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isCommon compares without regard to case or surrounding whitespace: a
// listed password with capitals or a trailing space is no harder to guess.
func isCommon(password string) bool {
	_, found := slices.BinarySearch(common, strings.ToLower(strings.TrimSpace(password)))
	return found
}

// CheckPolicy returns an Invalid error naming field when password breaks a
// rule: blank or only whitespace, shorter than 10 or longer than 128
// characters, one character repeated, commonly used, or containing the
// owner's email address or name (see containsWordsOf for which parts count).
func CheckPolicy(field, password string, owner Owner) error {
	if reason := policyReason(password, owner); reason != "" {
		return apperr.Field(field, reason)
	}
	return nil
}

func policyReason(password string, owner Owner) string {
	n := utf8.RuneCountInString(password)
	switch {
	case strings.TrimSpace(password) == "":
		return ReasonBlank
	case n < MinPasswordLen:
		return ReasonTooShort
	case n > MaxPasswordLen:
		return ReasonTooLong
	case oneRune(password):
		return ReasonRepeated
	case isCommon(password):
		return ReasonCommon
	}
	lower := strings.ToLower(password)
	squashed := squash(lower)
	if email := strings.ToLower(strings.TrimSpace(owner.Email)); email != "" {
		local := email
		if at := strings.LastIndexByte(email, '@'); at >= 0 {
			local = email[:at]
		}
		if strings.Contains(lower, email) || containsWordsOf(lower, squashed, local) {
			return ReasonEmail
		}
	}
	if containsWordsOf(lower, squashed, owner.Name) {
		return ReasonName
	}
	return ""
}

// oneRune reports whether s is a single character repeated.
func oneRune(s string) bool {
	first, size := utf8.DecodeRuneInString(s)
	return strings.Trim(s[size:], string(first)) == ""
}

// containsWordsOf reports whether a password (lower-cased, and squashed to
// its letters and digits) contains a word of s of MinContextWord or more
// letters or digits, or all of s's words run together when that is as long:
// for "Dr. Sam Rivera", "rivera" anywhere or "drsamrivera" with anything
// between its letters. The domain of an email is left out: it is shared by a
// whole clinic or mail provider, not personal.
func containsWordsOf(lower, squashed, s string) bool {
	words := strings.FieldsFunc(strings.ToLower(s), notAlnum)
	for _, w := range words {
		if utf8.RuneCountInString(w) >= MinContextWord && strings.Contains(lower, w) {
			return true
		}
	}
	joined := strings.Join(words, "")
	return len(words) > 1 && utf8.RuneCountInString(joined) >= MinContextWord && strings.Contains(squashed, joined)
}

func notAlnum(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// squash drops everything but letters and digits.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if notAlnum(r) {
			return -1
		}
		return r
	}, s)
}
