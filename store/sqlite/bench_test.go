package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// BenchmarkOpenFresh measures opening and migrating an empty database.
func BenchmarkOpenFresh(b *testing.B) {
	box := testBox(b)
	dir := b.TempDir()
	for i := 0; b.Loop(); i++ {
		db, err := Open(context.Background(), Config{Path: filepath.Join(dir, fmt.Sprint(i, ".db")), Sealer: box, Logger: testLogger})
		if err != nil {
			b.Fatal(err)
		}
		_ = db.Close()
	}
}

// BenchmarkInTxLogAndJob measures the common write: a log entry and a job in
// one transaction.
func BenchmarkInTxLogAndJob(b *testing.B) {
	db, err := Open(context.Background(), Config{Path: filepath.Join(b.TempDir(), "b.db"), Sealer: testBox(b), Logger: testLogger})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for b.Loop() {
		err := db.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := tx.LogCreate(ctx, &keyhook.LogEntry{Type: keyhook.LogSuccessLogin}); err != nil {
				return err
			}
			return tx.JobInsert(ctx, benchJob{})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

type benchJob struct{}

func (benchJob) Kind() string { return "bench" }
