package provision

// faultHook, when set, is called at the points of Apply between which a
// crash would leave the target in another state (faultPoint's callers name
// them). Only tests set it: they kill the process there and check that a
// rerun ends where a complete run does, with nothing left over.
var faultHook func(point string)

func faultPoint(point string) {
	if faultHook != nil {
		faultHook(point)
	}
}
