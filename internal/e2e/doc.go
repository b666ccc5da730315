// Package e2e holds syncd's end-to-end tests and benchmarks: the whole path
// from outbox rows in a real PostgreSQL schema through the engine and the
// real HubSpot client to the in-process emulator.
//
//   - guide_test.go implements the partner integration guide's flow (one
//     search, one write and one association call per record) with the same
//     client, as the baseline syncd is measured against.
//   - bench_test.go pushes one data set (a Northwind subset when ../shared is
//     present, and a generated one always) through both and reports calls,
//     write calls and wall time per order, and their ratio.
//   - chaos_test.go drains the outbox through injected HTTP faults, lost
//     answers, search lag, a crashed process and several concurrent
//     processes, and checks that HubSpot ends up holding exactly the
//     expected records, the ID map agrees with it, and every row is done.
//
// The package has no code of its own besides this file.
package e2e
