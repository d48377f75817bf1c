package server

import (
	"container/heap"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dedupWindow is how long a FIFO queue remembers a deduplication ID.
const dedupWindow = 5 * time.Minute

// purgeInterval is how long SQS refuses a second PurgeQueue.
const purgeInterval = 60 * time.Second

// maxVisibility bounds a message's visibility timeout, counted from the
// receive, across ChangeMessageVisibility calls.
const maxVisibility = 12 * time.Hour

type msgState uint8

const (
	// stateDelayed messages wait for their delay; they are in timers.
	stateDelayed msgState = iota
	// stateReady messages can be received: a standard queue has them in
	// ready, a FIFO queue in their group.
	stateReady
	// stateInflight messages were received and wait for DeleteMessage or
	// their visibility timeout; they are in timers.
	stateInflight
	// stateGone messages were deleted, expired, purged or moved to the
	// dead-letter queue; lists that still hold them skip them.
	stateGone
)

// message is one message in a queue. What the sender gave never changes
// after SendMessage; the rest belongs to the queue's lock.
type message struct {
	id        string
	body      string
	md5Body   string
	attrs     map[string]attrValue
	md5Attrs  string
	sysAttrs  map[string]attrValue
	md5Sys    string
	groupID   string
	dedupID   string
	seq       string
	senderID  string
	sentAt    time.Time
	dlqSource string // DeadLetterQueueSourceArn, once moved

	// enqueuedAt is what the retention period counts from: the send, or
	// for FIFO queues the move to the dead-letter queue.
	enqueuedAt   time.Time
	state        msgState
	visibleAt    time.Time
	receiveCount int
	firstReceive time.Time
	lastReceive  time.Time
	receipt      string
	group        *group
	timerIdx     int // index in queue.timers, -1 if not there
	ageIdx       int // index in queue.ages
}

// group is a FIFO message group: its messages in order, of which the first
// inflight ones are being processed.
type group struct {
	id       string
	msgs     []*message // msgs[head:] are the group's, some maybe gone
	head     int
	count    int // messages not gone
	inflight int
	// queued says the group is in queue.readyGroups.
	queued bool
}

func (g *group) live() []*message {
	for g.head < len(g.msgs) && g.msgs[g.head].state == stateGone {
		g.msgs[g.head] = nil
		g.head++
	}
	if g.head > 32 && g.head > len(g.msgs)/2 {
		n := copy(g.msgs, g.msgs[g.head:])
		clear(g.msgs[n:])
		g.msgs = g.msgs[:n]
		g.head = 0
	}
	return g.msgs[g.head:]
}

// dedupEntry remembers a FIFO send for the deduplication window.
type dedupEntry struct {
	key       string
	messageID string
	seq       string
	at        time.Time
}

// queue is one queue. One mutex guards everything below it: a queue's
// operations are short (no I/O under the lock) and queues do not share
// state, so this scales with the number of queues.
type queue struct {
	name string
	arn  string
	fifo bool
	// uid tells this queue from an earlier one of the same name, in
	// receipt handles.
	uid uint64

	mu       sync.Mutex
	attrs    map[string]string
	cfg      config
	tags     map[string]string
	created  time.Time
	modified time.Time
	deleted  bool

	msgs map[string]*message
	// ready holds a standard queue's receivable messages, oldest first;
	// entries that are no longer ready are skipped.
	ready deque[*message]
	// groups and readyGroups hold a FIFO queue's messages: readyGroups
	// are the groups that may have something to receive, in turn.
	groups      map[string]*group
	readyGroups deque[*group]
	// timers orders delayed and in-flight messages by when they become
	// visible; ages orders all messages by when they expire.
	timers msgHeap[byVisible]
	ages   msgHeap[byAge]

	nReady, nInflight, nDelayed int

	dedup      map[string]dedupEntry
	dedupOrder deque[dedupEntry]
	seq        uint64
	receipts   uint64
	lastPurge  time.Time
	// added and deduped count messages and deduplication entries since
	// their maps were last made anew (see compact).
	added, deduped int

	// notify is closed (and replaced) when messages become receivable or
	// the queue goes away, to wake long polls; waiters counts them so
	// that nobody pays for the broadcast when no one waits.
	notify  chan struct{}
	waiters int
	wake    bool
}

func newQueue(name, arn string, uid uint64, fifo bool, attrs, tags map[string]string, now time.Time) *queue {
	q := &queue{
		name:     name,
		arn:      arn,
		fifo:     fifo,
		uid:      uid,
		attrs:    attrs,
		cfg:      newConfig(attrs),
		tags:     tags,
		created:  now,
		modified: now,
		msgs:     map[string]*message{},
		notify:   make(chan struct{}),
	}
	if fifo {
		q.groups = map[string]*group{}
		q.dedup = map[string]dedupEntry{}
	}
	return q
}

// signal wakes long polls once the current operation is done (see
// unlock).
func (q *queue) signal() { q.wake = true }

// unlock releases the queue, waking long polls if something became
// receivable meanwhile.
func (q *queue) unlock() {
	if q.wake && q.waiters > 0 {
		close(q.notify)
		q.notify = make(chan struct{})
	}
	q.wake = false
	q.mu.Unlock()
}

// advance brings the queue to now: delays and visibility timeouts that
// ran out make messages receivable, messages past the retention period
// go, and the deduplication window moves on. Everything is computed here,
// when the queue is touched, rather than by timers.
func (q *queue) advance(now time.Time) {
	for len(q.timers) > 0 && !q.timers[0].visibleAt.After(now) {
		m := heap.Pop(&q.timers).(*message)
		switch m.state {
		case stateDelayed:
			q.nDelayed--
		case stateInflight:
			q.nInflight--
			if m.group != nil {
				m.group.inflight--
			}
		}
		q.makeReady(m)
	}
	cutoff := now.Add(-q.cfg.retention)
	for len(q.ages) > 0 && !q.ages[0].enqueuedAt.After(cutoff) {
		q.remove(q.ages[0])
	}
	for q.dedupOrder.len() > 0 {
		e := q.dedupOrder.front()
		if now.Sub(e.at) < dedupWindow {
			break
		}
		q.dedupOrder.popFront()
		if cur, ok := q.dedup[e.key]; ok && cur.at.Equal(e.at) {
			delete(q.dedup, e.key)
		}
	}
	q.compact()
}

// compactAfter is how many messages a queue takes before compact makes
// its emptied map anew.
const compactAfter = 4096

// compact gives back the memory of a burst once the queue is empty again:
// Go maps and slices keep their size when emptied, and an idle stand-in
// should stay small.
func (q *queue) compact() {
	if len(q.msgs) == 0 && q.added > compactAfter {
		// Whatever ready and readyGroups still hold is gone or empty.
		q.msgs = map[string]*message{}
		q.timers, q.ages = nil, nil
		q.ready, q.readyGroups = deque[*message]{}, deque[*group]{}
		if q.fifo {
			q.groups = map[string]*group{}
		}
		q.added = 0
	}
	if q.fifo && len(q.dedup) == 0 && q.deduped > compactAfter {
		q.dedup = map[string]dedupEntry{}
		q.deduped = 0
	}
}

// forget drops an emptied group, unless a newer group took its ID.
func (q *queue) forget(g *group) {
	if q.groups[g.id] == g {
		delete(q.groups, g.id)
	}
}

// add puts a new message into the queue, delayed until visibleAt.
func (q *queue) add(m *message, now time.Time) {
	m.timerIdx = -1
	q.msgs[m.id] = m
	q.added++
	heap.Push(&q.ages, m)
	if q.fifo {
		g := q.groups[m.groupID]
		if g == nil {
			g = &group{id: m.groupID}
			q.groups[m.groupID] = g
		}
		g.msgs = append(g.msgs, m)
		g.count++
		m.group = g
	}
	if m.visibleAt.After(now) {
		m.state = stateDelayed
		q.nDelayed++
		heap.Push(&q.timers, m)
		return
	}
	q.makeReady(m)
}

// makeReady makes m receivable. For FIFO, m stays where it is in its
// group; the group takes its turn again once nothing of it is in flight.
func (q *queue) makeReady(m *message) {
	m.state = stateReady
	q.nReady++
	if g := m.group; g != nil {
		if g.inflight == 0 && !g.queued {
			g.queued = true
			q.readyGroups.pushBack(g)
		}
	} else {
		q.ready.pushBack(m)
	}
	q.signal()
}

// remove takes m out of the queue for good.
func (q *queue) remove(m *message) {
	switch m.state {
	case stateGone:
		return
	case stateReady:
		q.nReady--
	case stateDelayed:
		q.nDelayed--
	case stateInflight:
		q.nInflight--
		if g := m.group; g != nil {
			g.inflight--
			if g.inflight == 0 && !g.queued {
				// The rest of the group can go now.
				g.queued = true
				q.readyGroups.pushBack(g)
				q.signal()
			}
		}
	}
	if m.timerIdx >= 0 {
		heap.Remove(&q.timers, m.timerIdx)
	}
	heap.Remove(&q.ages, m.ageIdx)
	m.state = stateGone
	delete(q.msgs, m.id)
	if g := m.group; g != nil {
		g.count--
		if g.count == 0 && !g.queued {
			q.forget(g)
		}
	}
}

// receive is one message handed out by take, with what the response
// shows of it as it was at that moment.
type receive struct {
	m            *message
	receipt      string
	receiveCount int
	firstReceive time.Time
}

// take hands out up to n receivable messages, in flight for vis. A
// message already received maxReceiveCount times goes to moved instead,
// for the caller to put into the dead-letter queue (redrive says there is
// one).
func (q *queue) take(now time.Time, n int, vis time.Duration, redrive bool) (got []receive, moved []*message) {
	limit := 0
	if redrive && q.cfg.redrive != nil {
		limit = q.cfg.redrive.MaxReceiveCount
	}
	exhausted := func(m *message) bool {
		if limit > 0 && m.receiveCount >= limit {
			q.remove(m)
			moved = append(moved, m)
			return true
		}
		return false
	}
	if !q.fifo {
		for len(got) < n && q.ready.len() > 0 {
			m := q.ready.popFront()
			if m.state != stateReady || exhausted(m) {
				continue
			}
			got = append(got, q.deliver(m, now, vis))
		}
		return got, moved
	}
	for len(got) < n && q.readyGroups.len() > 0 {
		g := q.readyGroups.popFront()
		g.queued = false
		if g.inflight > 0 {
			continue
		}
		// As SQS does, hand out as many messages of one group as fit, in
		// order; a delayed message holds back those after it. (remove
		// does not reorder g.msgs, so ranging over it is safe.)
		for _, m := range g.live() {
			if m.state == stateGone {
				continue
			}
			if len(got) == n || m.state != stateReady {
				break
			}
			if exhausted(m) {
				continue
			}
			got = append(got, q.deliver(m, now, vis))
			g.inflight++
		}
		if g.count == 0 {
			q.forget(g)
		}
	}
	return got, moved
}

// deliver puts a ready message in flight with a new receipt handle.
func (q *queue) deliver(m *message, now time.Time, vis time.Duration) receive {
	q.nReady--
	q.nInflight++
	m.state = stateInflight
	m.receiveCount++
	if m.firstReceive.IsZero() {
		m.firstReceive = now
	}
	m.lastReceive = now
	q.receipts++
	m.receipt = encodeReceipt(q.uid, m.id, q.receipts)
	m.visibleAt = now.Add(vis)
	heap.Push(&q.timers, m)
	return receive{m: m, receipt: m.receipt, receiveCount: m.receiveCount, firstReceive: m.firstReceive}
}

// purge removes every message, in whatever state.
func (q *queue) purge() {
	for _, m := range q.msgs {
		m.state = stateGone
	}
	q.msgs = map[string]*message{}
	q.ready = deque[*message]{}
	q.readyGroups = deque[*group]{}
	if q.fifo {
		q.groups = map[string]*group{}
	}
	q.timers = nil
	q.ages = nil
	q.nReady, q.nInflight, q.nDelayed = 0, 0, 0
}

// nextTimer returns when the next delayed or in-flight message becomes
// visible, if any: a long poll need not wait past it.
func (q *queue) nextTimer() (time.Time, bool) {
	if len(q.timers) == 0 {
		return time.Time{}, false
	}
	return q.timers[0].visibleAt, true
}

// encodeReceipt makes a receipt handle: opaque to clients, it names the
// queue instance, the message and the receive.
func encodeReceipt(uid uint64, messageID string, n uint64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d/%s/%d", uid, messageID, n))
}

// decodeReceipt reads a receipt handle; ok is false for one the server
// could not have made.
func decodeReceipt(h string) (uid uint64, messageID string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return 0, "", false
	}
	parts := strings.Split(string(b), "/")
	if len(parts) != 3 {
		return 0, "", false
	}
	uid, err = strconv.ParseUint(parts[0], 10, 64)
	if err != nil || parts[1] == "" {
		return 0, "", false
	}
	if _, err := strconv.ParseUint(parts[2], 10, 64); err != nil {
		return 0, "", false
	}
	return uid, parts[1], true
}

// msgHeap is a container/heap of messages in the order O gives; each
// message keeps its index in the heap (in the field O names) so that it can
// be removed or fixed in place.
type msgHeap[O heapOrder] []*message

// heapOrder is a message order and the message field that holds a
// message's index in a heap of that order (-1 when it is in none).
type heapOrder interface {
	key(*message) time.Time
	index(*message) *int
}

// byVisible orders messages by visibleAt: the timers of delayed and
// in-flight messages.
type byVisible struct{}

func (byVisible) key(m *message) time.Time { return m.visibleAt }
func (byVisible) index(m *message) *int    { return &m.timerIdx }

// byAge orders messages by enqueuedAt: the oldest expires first, whatever
// the retention period is now.
type byAge struct{}

func (byAge) key(m *message) time.Time { return m.enqueuedAt }
func (byAge) index(m *message) *int    { return &m.ageIdx }

func (h msgHeap[O]) Len() int { return len(h) }
func (h msgHeap[O]) Less(i, j int) bool {
	var o O
	return o.key(h[i]).Before(o.key(h[j]))
}
func (h msgHeap[O]) Swap(i, j int) {
	var o O
	h[i], h[j] = h[j], h[i]
	*o.index(h[i]) = i
	*o.index(h[j]) = j
}
func (h *msgHeap[O]) Push(x any) {
	var o O
	m := x.(*message)
	*o.index(m) = len(*h)
	*h = append(*h, m)
}
func (h *msgHeap[O]) Pop() any {
	var o O
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	*o.index(m) = -1
	return m
}

// deque is a FIFO list in a ring buffer that shrinks again when drained,
// so an idle queue keeps little memory.
type deque[T any] struct {
	buf        []T
	head, size int
}

func (d *deque[T]) len() int { return d.size }

func (d *deque[T]) pushBack(v T) {
	if d.size == len(d.buf) {
		n := max(8, 2*len(d.buf))
		buf := make([]T, n)
		for i := range d.size {
			buf[i] = d.buf[(d.head+i)%len(d.buf)]
		}
		d.buf, d.head = buf, 0
	}
	d.buf[(d.head+d.size)%len(d.buf)] = v
	d.size++
}

func (d *deque[T]) front() T { return d.buf[d.head] }

func (d *deque[T]) popFront() T {
	var zero T
	v := d.buf[d.head]
	d.buf[d.head] = zero
	d.head = (d.head + 1) % len(d.buf)
	d.size--
	if d.size == 0 && len(d.buf) > 1024 {
		*d = deque[T]{}
	}
	return v
}

// fixTimer restores the order of timers after m.visibleAt changed.
func fixTimer(q *queue, m *message) {
	if m.timerIdx >= 0 {
		heap.Fix(&q.timers, m.timerIdx)
	}
}
