package server

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// checkInvariants checks that a queue's counters, heaps and groups agree
// with its messages.
func checkInvariants(t *testing.T, q *queue) {
	t.Helper()
	var ready, inflight, delayed int
	for id, m := range q.msgs {
		if m.id != id {
			t.Fatalf("msgs[%s] holds message %s", id, m.id)
		}
		switch m.state {
		case stateReady:
			ready++
			if m.timerIdx != -1 {
				t.Fatalf("ready message %s is in timers", id)
			}
		case stateInflight:
			inflight++
		case stateDelayed:
			delayed++
		case stateGone:
			t.Fatalf("gone message %s is still in msgs", id)
		}
		if (m.state == stateInflight || m.state == stateDelayed) && (m.timerIdx < 0 || q.timers[m.timerIdx] != m) {
			t.Fatalf("%v message %s is not where timers says", m.state, id)
		}
		if q.ages[m.ageIdx] != m {
			t.Fatalf("message %s is not where ages says", id)
		}
	}
	if ready != q.nReady || inflight != q.nInflight || delayed != q.nDelayed {
		t.Fatalf("counters ready/inflight/delayed %d/%d/%d, messages say %d/%d/%d", q.nReady, q.nInflight, q.nDelayed, ready, inflight, delayed)
	}
	if len(q.timers) != inflight+delayed || len(q.ages) != len(q.msgs) {
		t.Fatalf("heaps hold %d timers and %d ages for %d in flight+delayed and %d messages", len(q.timers), len(q.ages), inflight+delayed, len(q.msgs))
	}
	if !q.fifo {
		return
	}
	for id, g := range q.groups {
		n, in := 0, 0
		for _, m := range g.msgs[g.head:] {
			if m.state == stateGone {
				continue
			}
			n++
			if m.state == stateInflight {
				in++
			}
		}
		if n != g.count || in != g.inflight {
			t.Fatalf("group %s: count/inflight %d/%d, messages say %d/%d", id, g.count, g.inflight, n, in)
		}
		if g.inflight == 0 && n > 0 && g.msgs[g.head].state == stateReady && !g.queued {
			t.Fatalf("group %s has a ready head, nothing in flight, and no turn", id)
		}
	}
}

// TestQueueRandomOperations drives queues with random sends, receives,
// deletes, visibility changes and clock steps, checking the invariants
// after each, and for FIFO queues that each group comes out in order with
// one receiver at a time.
func TestQueueRandomOperations(t *testing.T) {
	for _, fifo := range []bool{false, true} {
		t.Run(fmt.Sprintf("fifo=%v", fifo), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			attrs := merge(defaultAttributes(fifo), map[string]string{AttrMessageRetentionPeriod: "600", AttrVisibilityTimeout: "20"})
			q := newQueue("q", "arn", 1, fifo, attrs, nil, now)
			var handles []string
			sent, delivered := 0, 0
			for step := range 5000 {
				switch op := rng.IntN(10); {
				case op < 4:
					sent++
					m := &message{id: fmt.Sprint("m", sent), body: "b", sentAt: now, enqueuedAt: now, visibleAt: now}
					if rng.IntN(4) == 0 && !fifo {
						m.visibleAt = now.Add(time.Duration(rng.IntN(30)) * time.Second)
					}
					o := outgoing{m: m, size: 1}
					if fifo {
						g := fmt.Sprint("g", rng.IntN(4))
						m.groupID, m.dedupID = g, m.id
					}
					if _, err := q.send(o, now); err != nil {
						t.Fatalf("step %d: send: %v", step, err)
					}
				case op < 7:
					q.advance(now)
					got, _ := q.take(now, 1+rng.IntN(10), time.Duration(rng.IntN(30))*time.Second, false)
					inBatch := map[*message]bool{}
					for _, r := range got {
						if r.m.state != stateInflight {
							t.Fatalf("step %d: handed out message %s in state %v", step, r.m.id, r.m.state)
						}
						handles = append(handles, r.receipt)
						inBatch[r.m] = true
						delivered++
						if !fifo {
							continue
						}
						// Everything before it in its group is in this batch,
						// before it: the group had nothing in flight and keeps
						// its order.
						for _, earlier := range r.m.group.msgs[r.m.group.head:] {
							if earlier == r.m {
								break
							}
							if earlier.state != stateGone && !inBatch[earlier] {
								t.Fatalf("step %d: group %s: message %s handed out before %s", step, r.m.groupID, r.m.seq, earlier.seq)
							}
						}
					}
				case op < 9 && len(handles) > 0:
					i := rng.IntN(len(handles))
					h := handles[i]
					handles = append(handles[:i], handles[i+1:]...)
					if rng.IntN(3) == 0 {
						vis := rng.IntN(40)
						q.changeVisibility(h, &vis, now)
					} else {
						q.deleteMessage(h, now)
					}
				default:
					now = now.Add(time.Duration(rng.IntN(15)) * time.Second)
					q.advance(now)
				}
				checkInvariants(t, q)
			}
			if delivered < 1000 || len(q.msgs) == 0 {
				t.Errorf("%d messages sent, %d delivered, %d left: want a test that exercises more", sent, delivered, len(q.msgs))
			}
		})
	}
}

func TestDeque(t *testing.T) {
	var d deque[int]
	for round := range 3 {
		for i := range 3000 {
			d.pushBack(i)
			if i%3 == 0 {
				if got, want := d.popFront(), i/3; got != want {
					t.Fatalf("round %d: popFront got %d, want %d", round, got, want)
				}
			}
		}
		want := 1000
		for d.len() > 0 {
			if got := d.popFront(); got != want {
				t.Fatalf("round %d: popFront got %d, want %d", round, got, want)
			}
			want++
		}
		if want != 3000 {
			t.Fatalf("round %d: drained up to %d, want 3000", round, want)
		}
		if d.buf != nil {
			t.Fatalf("round %d: a drained large deque kept %d slots, want none", round, len(d.buf))
		}
	}
}

func TestReceiptHandles(t *testing.T) {
	h := encodeReceipt(7, "id-1", 42)
	uid, id, ok := decodeReceipt(h)
	if !ok || uid != 7 || id != "id-1" {
		t.Errorf("decodeReceipt(encodeReceipt(7, id-1, 42)): got %d %q %v", uid, id, ok)
	}
	for _, bad := range []string{"", "x", "!!!", encodeReceipt(1, "", 1)} {
		if _, _, ok := decodeReceipt(bad); ok {
			t.Errorf("decodeReceipt(%q): got ok, want not", bad)
		}
	}
}

func TestCompactAfterBurst(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	q := newQueue("q", "arn", 1, false, defaultAttributes(false), nil, now)
	for i := range compactAfter + 10 {
		q.add(&message{id: fmt.Sprint(i), sentAt: now, enqueuedAt: now, visibleAt: now}, now)
	}
	q.take(now, compactAfter+10, time.Second, false)
	now = now.Add(time.Hour) // all visible again
	q.advance(now)
	for _, m := range q.msgs {
		q.remove(m)
	}
	q.advance(now)
	if q.timers != nil || q.ages != nil || q.ready.buf != nil || len(q.msgs) != 0 {
		t.Errorf("after a burst drained: timers %d ages %d ready %d slots, want all released", cap(q.timers), cap(q.ages), len(q.ready.buf))
	}
}
