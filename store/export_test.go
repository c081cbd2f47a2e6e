package store

// Walked tells the tests whether Open read every page of db's file.
func Walked(db *DB) bool { return db.walked }
