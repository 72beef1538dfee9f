package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Targets of issue 8.
const (
	targetGetByID   = 0.60 // of the baseline's req/s
	targetGetP99    = 3.0  // times the baseline's p99, at most
	targetList      = 0.25 // of the baseline's req/s
	targetGrowth    = 0.20 // largest change between 100 and 100,000 entries
	targetRSSMB     = 100
	targetLoginsP99 = 3.0 // times the p99 without logins, at most
)

type report struct {
	opts            options
	machine         string
	clinic          clinic
	counts          map[string]int64
	baseline        *loadRun // measured alone, first
	runs            []loadRun
	alongside       loadRun
	alongsideLogins result
	hwm             int64 // kB
	plans           []plan
}

// describeMachine names what the figures were measured on.
func describeMachine(ctx context.Context, url string) (string, error) {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			var kb int64
			fmt.Sscan(f[1], &kb)
			mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/1024/1024)
		}
	}
	db, err := openGorm(url)
	if err != nil {
		return "", err
	}
	defer closeDB(db)
	var pg string
	if err := db.WithContext(ctx).Raw("SHOW server_version").Scan(&pg).Error; err != nil {
		return "", err
	}
	wrkVersion := "wrk"
	if out, _ := exec.Command("wrk", "-v").CombinedOutput(); len(out) > 0 {
		wrkVersion = strings.Fields(string(out))[0] + " " + strings.Fields(string(out))[1]
	}
	return fmt.Sprintf("%s, %d cores%s; PostgreSQL %s on loopback; %s; %s; %s",
		cpu, runtime.NumCPU(), mem, pg, runtime.Version(), wrkVersion, time.Now().UTC().Format("2006-01-02")), nil
}

func (r *report) find(endpoint, caller string) (loadRun, bool) {
	for _, m := range r.runs {
		if m.Endpoint == endpoint && m.Caller == caller {
			return m, true
		}
	}
	return loadRun{}, false
}

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "**FAIL**"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := r.opts
	p("### Latest run\n\n")
	p("Machine: %s.\n\n", r.machine)
	p("Load: wrk, %d threads, %d connections, %s per run after a %s warm-up; pool of %d connections (DB_MAX_CONNS) for the API and the baseline. ",
		o.threads, o.conns, o.duration, o.warm, o.pool)
	p("Data: %d users, %d treatment plans, %d sessions, %d journal entries (%d patients with %d each, one with %d), %d goals, %d assessments, %d mood check-ins, %d sync log rows.\n\n",
		r.counts["users"], r.counts["treatment_plans"], r.counts["treatment_sessions"], r.counts["journal_entries"],
		len(r.clinic.Patients), o.entries, o.heavy, r.counts["goals"], r.counts["assessments"], r.counts["mood_check_ins"], r.counts["sync_changes"])

	p("Each run of the API from the clinic is preceded by a run of the baseline, so that both meet the same neighbours on the machine; its ratios are to that run. ")
	p("CPU is the time the server process and its PostgreSQL backends spent per request (from /proc), which a busy machine disturbs far less than req/s; ")
	p("\"capacity vs baseline\" is the baseline's CPU per request divided by the API's: the req/s ratio to expect where CPU is what runs out.\n\n")
	p("| Endpoint | Load from | req/s | p50 | p99 | Baseline req/s | Baseline p99 | req/s vs baseline | p99 vs baseline | CPU µs/request (server + DB) | Capacity vs baseline | Target | Result |\n")
	p("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n")
	if b := r.baseline; b != nil {
		p("| baseline alone: bare Echo + pgx, one row by random key among 1,000,000 | — | %.0f | %s | %s | | | 1.00x | 1.00x | %.0f + %.0f | 1.00x | | |\n",
			b.Result.RPS(), ms(b.Result.P50()), ms(b.Result.P99()), b.CPU.AppUS, b.CPU.DBUS)
	}
	for _, m := range r.runs {
		if m.Baseline == nil {
			continue
		}
		res, base := m.Result, m.Baseline.Result
		ratio := res.RPS() / base.RPS()
		p99 := float64(res.P99US) / float64(base.P99US)
		target, result := "", ""
		switch m.Endpoint {
		case endpoints[0].Name:
			target = fmt.Sprintf("≥ %.2fx req/s, p99 ≤ %.0fx", targetGetByID, targetGetP99)
			result = verdict(ratio >= targetGetByID && p99 <= targetGetP99)
		case endpoints[1].Name:
			target = fmt.Sprintf("≥ %.2fx req/s", targetList)
			result = verdict(ratio >= targetList)
		}
		if n := res.Non2xx + res.SocketErrors; n > 0 {
			result += fmt.Sprintf(" (%d errors)", n)
		}
		who := fmt.Sprintf("%d patients", len(r.clinic.Patients))
		if m.Caller == callerAnyone {
			who = fmt.Sprintf("%d accounts", len(r.clinic.Patients))
		}
		capacity := m.Baseline.CPU.Total() / m.CPU.Total()
		p("| %s | %s | %.0f | %s | %s | %.0f | %s | %.2fx | %.1fx | %.0f + %.0f | %.2fx | %s | %s |\n", m.Endpoint, who, res.RPS(), ms(res.P50()), ms(res.P99()),
			base.RPS(), ms(base.P99()), ratio, p99, m.CPU.AppUS, m.CPU.DBUS, capacity, target, result)
	}

	p("\n#### Cost against data: a patient with %d journal entries and one with %d\n\n", o.entries, o.heavy)
	p("Each endpoint run by one patient at a time (all %d connections theirs). The target allows %.0f%% less req/s, or %.0f%% more CPU per request, with the larger journal.\n\n", o.conns, targetGrowth*100, targetGrowth*100)
	p("| Endpoint | req/s, %d entries | p99 | CPU µs/request | req/s, %d entries | p99 | CPU µs/request | Change in req/s | Change in CPU | Result |\n", o.entries, o.heavy)
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, e := range endpoints {
		light, ok1 := r.find(e.Name, callerP100)
		heavy, ok2 := r.find(e.Name, callerHeavy)
		if !ok1 || !ok2 {
			continue
		}
		change := heavy.Result.RPS()/light.Result.RPS() - 1
		cpuChange := heavy.CPU.Total()/light.CPU.Total() - 1
		p("| %s | %.0f | %s | %.0f | %.0f | %s | %.0f | %+.0f%% | %+.0f%% | %s |\n", e.Name, light.Result.RPS(), ms(light.Result.P99()), light.CPU.Total(),
			heavy.Result.RPS(), ms(heavy.Result.P99()), heavy.CPU.Total(), change*100, cpuChange*100,
			"req/s "+verdict(change >= -targetGrowth)+", CPU "+verdict(cpuChange <= targetGrowth))
	}

	p("\n#### Resident memory of the API\n\n")
	// Each run by the name its row has below, the logins run included.
	peak, peakName := r.alongside, fmt.Sprintf("%s with %d logins alongside", r.alongside.Endpoint, o.loginConns)
	for _, m := range r.runs {
		if m.PeakRSS > peak.PeakRSS {
			peak, peakName = m, fmt.Sprintf("%s (%s)", m.Endpoint, m.Caller)
		}
	}
	p("Largest VmRSS sampled every 50 ms during a run: %.0f MB (%s); VmHWM at the end: %.0f MB. Target: at most %d MB: %s.\n\n",
		float64(peak.PeakRSS)/1024, peakName, float64(r.hwm)/1024, targetRSSMB, verdict(peak.PeakRSS <= targetRSSMB*1024))
	p("| Run | Peak VmRSS |\n| --- | ---: |\n")
	for _, m := range r.runs {
		p("| %s (%s) | %.0f MB |\n", m.Endpoint, m.Caller, float64(m.PeakRSS)/1024)
	}
	p("| %s with %d logins alongside | %.0f MB |\n", r.alongside.Endpoint, o.loginConns, float64(r.alongside.PeakRSS)/1024)

	p("\n#### Logins alongside other traffic\n\n")
	alone, _ := r.find(endpoints[0].Name, callerClinic)
	with := r.alongside.Result
	ratio := float64(with.P99US) / float64(alone.Result.P99US)
	p("| %s | req/s | p50 | p99 | p99 vs alone | Target | Result |\n| --- | ---: | ---: | ---: | ---: | --- | --- |\n", endpoints[0].Name)
	p("| alone | %.0f | %s | %s | 1.0x | | |\n", alone.Result.RPS(), ms(alone.Result.P50()), ms(alone.Result.P99()))
	p("| with %d concurrent logins (%.1f logins/s, login p99 %s) | %.0f | %s | %s | %.1fx | ≤ %.0fx | %s |\n",
		o.loginConns, r.alongsideLogins.RPS(), ms(r.alongsideLogins.P99()), with.RPS(), ms(with.P50()), ms(with.P99()), ratio, targetLoginsP99, verdict(ratio <= targetLoginsP99))

	p("\n#### Query plans (EXPLAIN ANALYZE, as the patient with %d journal entries)\n\n", o.heavy)
	p("Generic plans, as PostgreSQL keeps them for the API's prepared statements after five runs.\n\n")
	p("| Endpoint | Statement | Scan | Execution time |\n| --- | --- | --- | ---: |\n")
	for _, pl := range r.plans {
		scan := "index"
		if pl.SeqScan {
			scan = "**sequential scan**"
		}
		p("| %s | `%s` | %s | %s |\n", pl.Endpoint, shorten(pl.SQL, 140), scan, pl.Time)
	}
	p("\n<details><summary>Plans</summary>\n\n")
	for _, pl := range r.plans {
		p("%s:\n\n```\n%s\n%s\n```\n\n", pl.Endpoint, pl.SQL, pl.Plan)
	}
	p("</details>\n")
	return b.String()
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
