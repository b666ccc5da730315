package store

// The claim statements, for the benchmark's query plans.
var (
	SQLClaim     = sqlClaim
	SQLClaimRefs = sqlClaimRefs
)
