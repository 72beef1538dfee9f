package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ketacare/api/internal/store"
)

// TestSIGTERMLosesNoAcknowledgedWrite: patients keep creating mood
// check-ins while the process is told to stop. Every create that was
// answered 201 must be in the database afterwards; requests the stopping
// server refused are the client's to retry.
func TestSIGTERMLosesNoAcknowledgedWrite(t *testing.T) {
	srv := startBinary(t)
	var tokens []string
	for i := range 4 {
		email := "p" + string(rune('a'+i)) + "@example.com"
		out := call(t, "POST", srv.base+"/v1/auth/register", "", `{"email":"`+email+`","password":"tide-pool-lantern","display_name":"P"}`, 201)
		tokens = append(tokens, out["access_token"].(string))
	}

	var mu sync.Mutex
	var acknowledged []string
	var wg sync.WaitGroup
	started := make(chan struct{}, len(tokens))
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5000; n++ {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.base+"/v1/mood-check-ins",
					strings.NewReader(`{"mood":5,"note":"steady"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := client.Do(req)
				if err != nil {
					return // the server has stopped listening
				}
				var body struct {
					ID string `json:"id"`
				}
				_ = json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					mu.Lock()
					acknowledged = append(acknowledged, body.ID)
					mu.Unlock()
				}
				if n == 3 {
					started <- struct{}{}
				}
			}
		}()
	}
	for range tokens {
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatalf("the writers did not get going\n%s", srv.logs.String())
		}
	}
	srv.stop(t)
	wg.Wait()
	if len(acknowledged) == 0 {
		t.Fatal("no write was acknowledged before the stop")
	}

	db, err := store.Open(store.Options{DatabaseURL: srv.dbURL, DataDir: srv.dataDir, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	var stored []string
	if err := db.Table("mood_check_ins").Pluck("id", &stored).Error; err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool, len(stored))
	for _, id := range stored {
		have[id] = true
	}
	var lost []string
	for _, id := range acknowledged {
		if !have[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Fatal(errors.New("acknowledged writes lost: " + strings.Join(lost, ", ")))
	}
	t.Logf("%d writes acknowledged before SIGTERM, all stored", len(acknowledged))
}
