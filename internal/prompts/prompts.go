// Package prompts is the catalog of guided journal prompts: what the app
// offers a patient to write about before a session and after it. It is pure
// domain content, read by the journal (to check an entry's prompt) and the
// agenda (to suggest one).
package prompts

// Phase is when in a course a prompt is meant to be answered.
type Phase string

// Phases of the catalog.
const (
	Preparation  Phase = "preparation"
	AfterSession Phase = "after_session"
)

// Prompt is one prompt of the catalog. Keys are stable: journal entries
// store them, so a key is never renamed or reused.
type Prompt struct {
	Key   string
	Phase Phase
	Text  string
}

// Catalog is every prompt, in the order it is listed. The after-session
// prompts are the five of "The Importance of Integration in Ketamine
// Therapy" (Ketamine Therapy Center), word for word, typographic apostrophe
// included; a test compares them with the article.
var Catalog = []Prompt{
	{"intention", Preparation, "What intention would you like to set for your next ketamine therapy session?"},
	{"hopes_and_concerns", Preparation, "What are you hoping for from this session, and is anything worrying you about it?"},
	{"what_to_explore", Preparation, "Is there a feeling, memory or pattern you would like to understand better or let go of?"},
	{"support_after", Preparation, "Who or what will help you feel supported in the days after your session?"},
	{"felt_for_the_first_time", AfterSession, "Did you feel or experience something you haven’t felt before during your most recent ketamine therapy experience?"},
	{"something_familiar", AfterSession, "Did you experience something familiar during your most recent ketamine therapy experience?"},
	{"learned_about_yourself", AfterSession, "What did you learn about yourself through the experience?"},
	{"insights_gained", AfterSession, "What insights did you gain from your most recent ketamine therapy experience?"},
	{"actions_to_take", AfterSession, "What action(s) do you want to take in your life based on your insights?"},
}

// Lookup finds a prompt by its key.
func Lookup(key string) (Prompt, bool) {
	for _, p := range Catalog {
		if p.Key == key {
			return p, true
		}
	}
	return Prompt{}, false
}
