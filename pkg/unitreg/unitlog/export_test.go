package unitlog

// OnAnswered sets a function run when a question to the log has its answer, before its callers
// learn it: tests hold a question in flight with it.
func OnAnswered(f *Follower, fn func()) { f.answered = fn }

// Queued tells whether a caller waits on a question not asked yet.
func Queued(f *Follower) bool {
	f.askMu.Lock()
	defer f.askMu.Unlock()
	return f.queued != nil
}
