package handlers

import (
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ketacare/api/internal/api"
	"github.com/ketacare/api/internal/store"
)

// listPage turns a list's paging parameters and its updated_since filter
// into a store page.
func listPage(limit *int, cursor *string, updatedSince *time.Time) store.Page {
	p := page(limit, cursor)
	p.UpdatedSince = updatedSince
	return p
}

// Journal lists carry excerpts: a phone showing a page of entries needs a
// line or two of each, not up to 20,000 characters of every one.
const (
	// excerptRunes is the most characters an excerpt holds.
	excerptRunes = 200
	// excerptWordSlack is how far back from the limit an excerpt may end to
	// end at a space rather than mid-word.
	excerptWordSlack = 40
)

// excerpt returns the start of body for a list, and whether anything was
// left out. It cuts between characters (runes), never between a
// character and the combining marks or joiners that belong to it, and
// prefers the last space within excerptWordSlack of the limit.
func excerpt(body string) (string, bool) {
	if utf8.RuneCountInString(body) <= excerptRunes {
		return body, false
	}
	runes := []rune(body)
	cut := excerptRunes
	for i := cut; i > excerptRunes-excerptWordSlack; i-- {
		if unicode.IsSpace(runes[i]) {
			cut = i
			break
		}
	}
	for cut > 0 && !startsCharacter(runes, cut) {
		cut--
	}
	return trimRightSpace(runes[:cut]), true
}

// startsCharacter reports whether runes[i] begins a new user-perceived
// character: it is not a combining mark, a variation selector or a joiner,
// and does not follow a zero-width joiner.
func startsCharacter(runes []rune, i int) bool {
	const zwj = '\u200d'
	r := runes[i]
	if unicode.Is(unicode.M, r) || r == zwj || unicode.Is(unicode.Variation_Selector, r) {
		return false
	}
	return i == 0 || runes[i-1] != zwj
}

func trimRightSpace(runes []rune) string {
	end := len(runes)
	for end > 0 && unicode.IsSpace(runes[end-1]) {
		end--
	}
	return string(runes[:end])
}

// toJournalListItem is the entry as lists show it: an excerpt of its body
// unless whole asks for all of it.
func toJournalListItem(e store.JournalEntry, whole bool) api.JournalEntryListItem {
	full := toJournalEntry(e)
	item := api.JournalEntryListItem{
		ID:                 full.ID,
		PatientID:          full.PatientID,
		SessionID:          full.SessionID,
		PromptKey:          full.PromptKey,
		Title:              full.Title,
		Body:               full.Body,
		Mood:               full.Mood,
		Insights:           full.Insights,
		SharedWithCareTeam: full.SharedWithCareTeam,
		CreatedAt:          full.CreatedAt,
		UpdatedAt:          full.UpdatedAt,
		Version:            full.Version,
	}
	if !whole {
		item.Body, item.BodyTruncated = excerpt(full.Body)
	}
	return item
}
