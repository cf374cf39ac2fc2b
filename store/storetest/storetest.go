// Package storetest gives tests a PostgreSQL database of their own on the
// server named by AIDEN_TEST_DATABASE_URL (.ci/run starts one and always
// sets it).
package storetest

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// PostgresURL returns the URL of a new, empty schema on the test server,
// dropped when the test ends, and false when AIDEN_TEST_DATABASE_URL is
// unset (the caller decides whether to skip).
func PostgresURL(t testing.TB) (string, bool) {
	t.Helper()
	base := os.Getenv("AIDEN_TEST_DATABASE_URL")
	if base == "" {
		return "", false
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := fmt.Sprintf("t%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, true
}
