package wire

import aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"

// PolicyCheck reports whether a request's options ask for policy checks.
// They are on by default, on every door: only skip_policy_check turns them
// off. The deprecated policy_check still asks for them when true (it wins
// over skip_policy_check); false cannot be told from unset in proto3, so
// an old client sending policyCheck: false gets policy checks.
func PolicyCheck(opts *aidenv1.Options) bool {
	//lint:ignore SA1019 this is where an old client's field is read
	return !opts.GetSkipPolicyCheck() || opts.GetPolicyCheck()
}
