package store

// The claim statements, for the benchmark's query plans.
var (
	SQLWakeWaiting = sqlWakeWaiting
	SQLClaim       = sqlClaim
	SQLClaimRefs   = sqlClaimRefs
)
