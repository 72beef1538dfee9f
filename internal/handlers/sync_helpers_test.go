package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/ketacare/api/internal/apitest"
)

// syncKey names one record of the patient's offline copy.
type syncKey struct {
	Type string
	ID   uuid.UUID
}

func (k syncKey) String() string { return k.Type + " " + k.ID.String() }

// syncItem is one item of a sync page as the app reads it.
type syncItem struct {
	syncKey
	// Deleted marks a tombstone.
	Deleted bool
	// Record is the record, decoded generically, for upserts.
	Record map[string]any
}

// delivery names what an item delivered: a version of a record, or its
// deletion. A client must never get the same delivery twice.
func (it syncItem) delivery() string {
	switch {
	case it.Deleted:
		return it.String() + " deleted"
	case it.Record["version"] != nil:
		return it.String() + " v" + fmt.Sprint(it.Record["version"])
	}
	return it.String() // records that never change
}

// syncPage is a decoded page of /v1/sync.
type syncPage struct {
	Items     []syncItem
	NextToken string
	HasMore   bool
}

// getSyncPage asks for one page and checks the shape of every item: a
// tombstone has type, id and deleted_at only; an upsert has type, id and the
// record under the property its type names, with the same id.
func getSyncPage(t testing.TB, env *apitest.Env, token, since string, limit int) syncPage {
	t.Helper()
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	res := env.Get("/v1/sync?"+q.Encode(), token)
	if res.Status != http.StatusOK {
		t.Fatalf("sync: want 200, got %d: %s", res.Status, res.Body)
	}
	var raw struct {
		Items     []map[string]json.RawMessage `json:"items"`
		NextToken string                       `json:"next_token"`
		HasMore   bool                         `json:"has_more"`
	}
	res.JSON(t, &raw)
	if raw.NextToken == "" {
		t.Fatal("sync page without next_token")
	}
	p := syncPage{NextToken: raw.NextToken, HasMore: raw.HasMore}
	for _, m := range raw.Items {
		var it syncItem
		if err := json.Unmarshal(m["type"], &it.Type); err != nil {
			t.Fatalf("item type: %v", err)
		}
		if err := json.Unmarshal(m["id"], &it.ID); err != nil {
			t.Fatalf("item id: %v", err)
		}
		if len(m) != 3 {
			t.Fatalf("%s: want type, id and one more property, got %d: %v", it, len(m), keysOf(m))
		}
		if _, ok := m["deleted_at"]; ok {
			it.Deleted = true
		} else {
			rec, ok := m[it.Type]
			if !ok {
				t.Fatalf("%s: no %q property: %v", it, it.Type, keysOf(m))
			}
			if err := json.Unmarshal(rec, &it.Record); err != nil {
				t.Fatalf("%s: %v", it, err)
			}
			if it.Record["id"] != it.ID.String() {
				t.Fatalf("%s carries record %v", it, it.Record["id"])
			}
		}
		p.Items = append(p.Items, it)
	}
	return p
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// syncClient is the patient's app keeping an offline copy of their records
// through /v1/sync, as a real one would.
type syncClient struct {
	env   *apitest.Env
	token string
	since string
	copy  map[syncKey]map[string]any
	// delivered counts every delivery, to find repeats.
	delivered map[string]int
	pages     int
}

func newSyncClient(env *apitest.Env, token string) *syncClient {
	return &syncClient{env: env, token: token, copy: map[syncKey]map[string]any{}, delivered: map[string]int{}}
}

// apply folds a page into the copy.
func (c *syncClient) apply(p syncPage) {
	for _, it := range p.Items {
		c.delivered[it.delivery()]++
		if it.Deleted {
			delete(c.copy, it.syncKey)
		} else {
			c.copy[it.syncKey] = it.Record
		}
	}
	c.since = p.NextToken
	c.pages++
}

// catchUp pages until the server has nothing more, returning the items.
func (c *syncClient) catchUp(t testing.TB, limit int) []syncItem {
	t.Helper()
	var items []syncItem
	for {
		p := getSyncPage(t, c.env, c.token, c.since, limit)
		c.apply(p)
		items = append(items, p.Items...)
		if !p.HasMore {
			return items
		}
	}
}

// repeats lists the deliveries made more than once.
func (c *syncClient) repeats() []string {
	var out []string
	for d, n := range c.delivered {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s (%d times)", d, n))
		}
	}
	sort.Strings(out)
	return out
}

// expectCopy fails the test unless the client's copy is exactly want.
func (c *syncClient) expectCopy(t testing.TB, want map[syncKey]map[string]any) {
	t.Helper()
	for k, rec := range want {
		got, ok := c.copy[k]
		switch {
		case !ok:
			t.Errorf("the app's copy misses %s", k)
		case !reflect.DeepEqual(got, rec):
			t.Errorf("the app's copy of %s is\n%v\nthe server's is\n%v", k, got, rec)
		}
	}
	for k := range c.copy {
		if _, ok := want[k]; !ok {
			t.Errorf("the app's copy still has %s, which is gone", k)
		}
	}
}

// serverState reads every record of the patient the way the app would
// without sync: each journal entry, goal and session by its own GET, and
// the lists of the records that have no GET. The ids come from the
// database, so nothing here depends on the sync log.
func serverState(t testing.TB, env *apitest.Env, patient apitest.User) map[syncKey]map[string]any {
	t.Helper()
	out := map[syncKey]map[string]any{}
	ids := func(query string) []uuid.UUID {
		var ids []uuid.UUID
		if err := env.DB.Raw(query, patient.ID).Scan(&ids).Error; err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return ids
	}
	one := func(typ, path string) {
		var rec map[string]any
		env.Get(path, patient.Token).Expect(t, http.StatusOK).JSON(t, &rec)
		out[syncKey{typ, uuid.MustParse(rec["id"].(string))}] = rec
	}
	list := func(typ, path string) {
		var pg struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		env.Get(path, patient.Token).Expect(t, http.StatusOK).JSON(t, &pg)
		if pg.NextCursor != nil {
			t.Fatalf("%s has more than one page", path)
		}
		for _, rec := range pg.Items {
			out[syncKey{typ, uuid.MustParse(rec["id"].(string))}] = rec
		}
	}
	for _, id := range ids("SELECT id FROM journal_entries WHERE patient_id = ?") {
		one("journal_entry", "/v1/journal-entries/"+id.String())
	}
	for _, id := range ids("SELECT id FROM goals WHERE patient_id = ?") {
		one("goal", "/v1/goals/"+id.String())
		list("goal_check_in", "/v1/goals/"+id.String()+"/check-ins?limit=200")
	}
	for _, id := range ids("SELECT id FROM treatment_sessions WHERE patient_id = ?") {
		one("treatment_session", "/v1/sessions/"+id.String())
	}
	list("activity", "/v1/activities?limit=200")
	list("mood_check_in", "/v1/mood-check-ins?limit=200")
	list("assessment", "/v1/assessments?limit=200")
	return out
}
