package generator

// CheckRequest reports what is wrong with req before any work, as the
// ErrInvalidInput error Generate would return: an empty or oversized
// intent, a bad target path, a workspace past Limits. Callers that store
// requests call it first, so nothing refused is kept.
func (e *Engine) CheckRequest(req Request) error {
	_, _, err := e.check(req)
	return err
}
