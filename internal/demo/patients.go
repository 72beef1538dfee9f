package demo

import (
	"time"

	"github.com/google/uuid"
)

// The three patients' stories. Their words follow the integration practices
// of "The Importance of Integration in Ketamine Therapy": journaling with its
// prompts, time in nature, meditation, calming music, loved ones,
// creativity, and insight turned into action (reaching out, leaving one's
// comfort zone, slowing down). Names and details are invented.

var checklistDone = map[string]bool{"fasting_confirmed": true, "ride_home_arranged": true, "setting_prepared": true, "music_ready": true}

// finished is Casey, who completed a six-session course three weeks ago and
// is in remission by PHQ-9.
func (st *story) finished(psych, therapist *member) *member {
	p := newMember(member{email: "casey" + domain, name: "Casey (demo)",
		about: "finished a six-session course three weeks ago; PHQ-9 19 -> 4 (response and remission)"})
	c := &course{patient: p}
	st.on(st.day(-46, 9, 0), func() error { return st.newPatient(p, psych, therapist) })
	st.assess(c, st.day(-45, 18, 0), 19, 1, 14)
	st.acknowledge(c, st.day(-45, 19, 30), psych,
		"Called Casey the same evening: passing thoughts, no plan or intent. Reviewed the safety plan together; evaluation booked.")
	st.plan(c, psych, st.day(-43, 14, 30), -40, 2, 6, "iv_infusion")

	days := []int{-40, -37, -33, -30, -26, -23}
	doses := []float64{0.5, 0.5, 0.6, 0.6, 0.7, 0.7}
	intentions := []string{
		"To stay curious about whatever comes up, and to be gentle with myself.",
		"To let myself feel what I felt last time without rushing to explain it.",
		"To look at the part of me that keeps everyone at arm's length.",
		"To notice where I feel lighter, and remember it.",
		"To bring what I have learned back into ordinary days.",
		"To say thank you to myself for doing this work.",
	}
	journeys := []string{
		"Settled quickly with eye shade and music. Mild nausea at 20 minutes, eased without medication. Calm and talkative on emergence.",
		"Tearful in the middle of the journey, then peaceful. Vitals steady throughout.",
		"Quiet journey; described warmth and a sense of distance from worries.",
		"Comfortable throughout; asked for the same playlist next time.",
		"Brief dizziness on standing, resolved after ten minutes of rest.",
		"Calm, reflective journey. Went home with a friend as planned.",
	}
	integrations := []string{
		"Explored the sense of spaciousness Casey described; linked it to years of feeling rushed. Suggested journaling with the first-time prompt.",
		"Worked with the familiar sadness that came up; Casey could observe it rather than be swept by it.",
		"Talked about reaching out more; Casey decided to call their brother weekly.",
		"Casey wants to try something new: the ukulele that has sat in a cupboard for years. We set a small first step.",
		"Reviewed progress; sleep better, more patience at work. Planned self-care after the course ends.",
		"Closing session: gathered the insights of the course and the actions Casey is taking. Monthly check-ins from here.",
	}
	for i, d := range days {
		st.prepare(c, i+1, st.day(d-1, 19, 0), intentions[i], i == 0, checklistDone)
		st.hold(c, i+1, d, psych, therapist, doses[i], journeys[i], integrations[i])
	}

	var brother, ukulele uuid.UUID
	st.journal(c, st.day(-39, 20, 0), entry{prompt: "felt_for_the_first_time", title: "Lighter",
		body:     "For a while I felt very light, as if I was floating above an old heaviness instead of inside it. I haven't felt that kind of room in years. Some sadness came too, but it moved through instead of staying.",
		insights: []string{"The heaviness is something I carry, not who I am."}, mood: 6, session: 1, shared: true}, nil)
	st.journal(c, st.day(-36, 21, 0), entry{prompt: "something_familiar", title: "The old role",
		body: "The familiar feeling of being the one who holds everything together showed up again. This time I could watch it from a little distance. I'm not ready to write more about it yet.",
		mood: 5, session: 2}, nil)
	st.journal(c, st.day(-32, 20, 30), entry{prompt: "actions_to_take", title: "Calling my brother",
		body:     "I realised how much I miss my brother. We used to talk every week. I want to call him on Sundays again, even just for ten minutes.",
		insights: []string{"Connection is something I can start, not wait for."}, mood: 7, session: 3, shared: true}, &brother)
	st.journal(c, st.day(-29, 20, 0), entry{prompt: "learned_about_yourself", title: "Playing again",
		body:     "I learned that I stopped doing things just for fun a long time ago. The ukulele has been in the cupboard for five years. I'd like to learn three songs, badly, and enjoy it.",
		insights: []string{"I am allowed to be a beginner."}, mood: 7, session: 4, shared: true}, &ukulele)
	st.journal(c, st.day(-22, 19, 30), entry{prompt: "insights_gained", title: "After the last session",
		body:     "Looking back over six sessions: I am kinder to myself, I sleep better, and I laugh more. The insights only matter if I keep acting on them, so I'm keeping the Sunday calls and the morning walks.",
		insights: []string{"Insight plus action is what changes things.", "Morning walks help more than I expected."}, mood: 8, session: 6, shared: true}, nil)
	st.journal(c, st.day(-3, 21, 0), entry{prompt: "learned_about_yourself", title: "Three weeks on",
		body: "The course ended three weeks ago. Some days are still grey, but they pass. I notice I reach for the walk or the ukulele now instead of the couch.",
		mood: 8}, nil)

	st.goal(c, st.day(-32, 21, 0), "connection", "Call my brother every Sunday", "We drifted apart and I miss him.", "Text him to pick a time.",
		&brother, map[time.Time]int{st.day(-25, 18, 0): 50, st.day(-18, 18, 0): 75, st.day(-4, 18, 0): 90})
	st.goal(c, st.day(-29, 20, 30), "comfort_zone", "Learn three songs on the ukulele", "To do something just for fun again.", "Restring it and find a beginner video.",
		&ukulele, map[time.Time]int{st.day(-24, 20, 0): 30, st.day(-14, 20, 0): 70, st.day(-6, 20, 0): 100})

	for i, d := range []int{-44, -38, -35, -31, -27, -21, -17, -12, -9, -5, -2} {
		kinds := []string{"nature", "mindfulness_meditation", "calming_music", "time_with_loved_ones", "creativity", "exercise"}
		notes := []string{"Walk by the reservoir.", "Ten minutes of breathing before work.", "", "Dinner with my brother.", "Ukulele practice.", ""}
		st.activity(c, st.day(d, 8+i%3*5, 30), kinds[i%len(kinds)], 20+10*(i%4), notes[i%len(notes)])
	}
	// Weekly scores after the baseline: PHQ-9 19 -> 4, GAD-7 14 -> 4.
	for i, w := range [][3]int{{-36, 16, 12}, {-29, 12, 10}, {-22, 9, 8}, {-15, 6, 6}, {-8, 5, 5}, {-1, 4, 4}} {
		st.assess(c, st.day(w[0], 18, 10+i), w[1], 0, w[2])
	}
	for i, d := range []int{-20, -16, -12, -8, -4, -1} {
		st.mood(c, st.day(d, 21, 0), 6+i/2, 4-i/2, "")
	}
	st.completePlan(c, st.day(-22, 9, 0), psych)
	return p
}

// midCourse is Blake, three sessions into six, preparing for the fourth.
func (st *story) midCourse(psych, therapist *member) *member {
	p := newMember(member{email: "blake" + domain, name: "Blake (demo)",
		about: "three sessions done of six, the fourth in two days; journaling, goals, PHQ-9 improving"})
	c := &course{patient: p}
	st.on(st.day(-14, 9, 0), func() error { return st.newPatient(p, psych, therapist) })
	st.assess(c, st.day(-13, 19, 0), 18, 0, 13)
	st.plan(c, psych, st.day(-11, 14, 0), -8, 2, 6, "iv_infusion")

	days := []int{-8, -5, -1}
	st.prepare(c, 1, st.day(-9, 20, 0), "To go in with curiosity instead of fear.", true, checklistDone)
	st.prepare(c, 2, st.day(-6, 20, 0), "To meet whatever comes with kindness.", false, checklistDone)
	st.prepare(c, 3, st.day(-2, 20, 0), "To listen to the part of me that wants to rest.", false, checklistDone)
	journeys := []string{
		"First session: anxious at the start, settled once the music began. Vitals steady.",
		"Comfortable journey; a few tears, described as relief.",
		"Calm throughout; spoke about a garden from childhood on emergence.",
	}
	integrations := []string{
		"Talked through the first journey; normalised the early anxiety. Blake will try the journal prompts this week.",
		"Explored the relief Blake felt; began to name what has been weighing on them.",
		"",
	}
	for i, d := range days {
		st.hold(c, i+1, d, psych, therapist, 0.5+0.1*float64(i), journeys[i], integrations[i])
	}
	// Preparing for the fourth session, in two days: begun, not finished.
	st.prepare(c, 4, st.ago(3), "To notice what I need, and ask for it.", false,
		map[string]bool{"fasting_confirmed": false, "ride_home_arranged": true, "setting_prepared": true, "music_ready": false})

	var garden uuid.UUID
	st.journal(c, st.day(-9, 20, 30), entry{prompt: "hopes_and_concerns", title: "Before the first session",
		body: "I'm hoping to feel something other than flat. I'm a little worried about losing control, but I know the team will be there.",
		mood: 4}, nil)
	st.journal(c, st.day(-7, 21, 0), entry{prompt: "felt_for_the_first_time", title: "Colours",
		body:     "Everything was full of colour and I felt held rather than alone. It's the first time in a long time that my mind was quiet.",
		insights: []string{"Quiet is possible for me."}, mood: 6, session: 1, shared: true}, nil)
	st.journal(c, st.day(-4, 21, 0), entry{prompt: "something_familiar", title: "Old tiredness",
		body: "A familiar tiredness came up, the kind I usually push through. This time I let myself rest in it.",
		mood: 6, session: 2}, nil)
	st.journal(c, st.day(-1, 19, 0), entry{prompt: "insights_gained", title: "The garden",
		body:     "I keep coming back to the picture of my grandmother's garden. I think it means I need more unhurried time outdoors, and more time with people who know me.",
		insights: []string{"Slowing down feels safe, not lazy.", "I miss my friends more than I admit."}, mood: 7, session: 3, shared: true}, &garden)

	st.goal(c, st.day(-1, 19, 30), "slow_down", "Walk in the park three mornings a week", "Unhurried time outside helps me think clearly.", "Put my shoes by the door tonight.",
		&garden, map[time.Time]int{st.ago(5): 33})
	st.goal(c, st.day(-6, 20, 0), "connection", "Have a meal with a friend every week", "I have been hiding from people who care about me.", "Message Sam about lunch.",
		nil, map[time.Time]int{st.day(-3, 20, 0): 50})

	for i, d := range []int{-12, -10, -7, -6, -4, -3, -2} {
		kinds := []string{"calming_music", "nature", "mindfulness_meditation", "time_with_loved_ones", "creativity"}
		notes := []string{"", "Slow walk in the park.", "Body scan before sleep.", "Lunch with an old friend.", "Sketched the garden I keep thinking of."}
		st.activity(c, st.day(d, 9+i%4*3, 0), kinds[i%len(kinds)], 15+5*(i%5), notes[i%len(notes)])
	}
	// Weekly scores since the baseline: PHQ-9 18 -> 14 -> 10, GAD-7 13 -> 11 -> 8.
	st.assess(c, st.day(-6, 19, 0), 14, 0, 11)
	st.assess(c, st.ago(4), 10, 0, 8)
	for i, d := range []int{-10, -9, -8, -7, -6, -5, -4, -3, -2, -1} {
		st.mood(c, st.day(d, 21, 30), 3+i*4/10+1, 7-i*4/10, "")
	}
	st.mood(c, st.ago(2), 7, 4, "Good day; walked before work.")
	return p
}

// upcoming is Avery, evaluated and planned, whose first session is in two
// days; their baseline PHQ-9 raised a safety alert still open.
func (st *story) upcoming(psych *member) *member {
	p := newMember(member{email: "avery" + domain, name: "Avery (demo)",
		about: "evaluated, first session in two days, preparation started; baseline PHQ-9 raised a safety alert that is still open"})
	c := &course{patient: p}
	st.on(st.day(-5, 10, 0), func() error { return st.newPatient(p, psych) })
	st.plan(c, psych, st.day(-3, 11, 0), 2, 3, 6, "iv_infusion")
	st.journal(c, st.ago(6), entry{prompt: "hopes_and_concerns", title: "Two days to go",
		body: "I'm hoping this helps me get some energy back. I'm nervous about how it will feel, and relieved that Jamie will drive me home.",
		mood: 4}, nil)
	st.prepare(c, 1, st.ago(5), "To be open to whatever I find, and to be patient with myself.", true,
		map[string]bool{"fasting_confirmed": false, "ride_home_arranged": true, "setting_prepared": false, "music_ready": true})
	st.activity(c, st.ago(20), "nature", 30, "Short walk around the block.")
	st.mood(c, st.ago(19), 4, 6, "")
	// The baseline, answered this morning: the care team follows up.
	st.assess(c, st.ago(1), 17, 1, 15)
	return p
}
