package postgres_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/postgres"
)

// A stand-in for an RDS instance whose parameter group sets two parameters.
func ExampleNew() {
	pg, err := postgres.New("postgres:16.4",
		postgres.WithUser("app"),
		postgres.WithPassword("secret"),
		postgres.WithDatabase("orders"),
		postgres.WithParameters(map[string]string{
			"shared_preload_libraries": "pg_stat_statements",
			"max_connections":          "200",
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := pg.Container()
	fmt.Println(c.Image, c.Port, c.DataDir)
	fmt.Println(c.Cmd)
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		fmt.Printf("%s=%s\n", k, c.Env[k])
	}
	// Output:
	// postgres:16.4 5432 /var/lib/postgresql/data
	// [postgres -c max_connections=200 -c shared_preload_libraries=pg_stat_statements]
	// PGDATA=/var/lib/postgresql/data
	// POSTGRES_DB=orders
	// POSTGRES_PASSWORD=secret
	// POSTGRES_USER=app
}

// New checks every option and reports all problems at once.
func ExampleNew_invalid() {
	_, err := postgres.New("postgres:16",
		postgres.WithParameters(map[string]string{"Work-Mem": "64MB"}),
		postgres.WithEnvNames(map[string]string{"PGHOST": "DB_HOST"}),
	)
	fmt.Println(errors.Is(err, postgres.ErrInvalidOption))
	fmt.Println(err)
	// Output:
	// true
	// postgres: parameter "Work-Mem": name must match [a-z0-9_.]+: invalid postgres option
	// env rename "PGHOST": postgres sets only DATABASE_URL: invalid postgres option
}

// The app inside the project network reaches the stand-in by service name;
// a shell on the host uses the published port.
func ExampleStandin_Env() {
	pg, _ := postgres.New("postgres:16",
		postgres.WithPassword("p@ss/word"),
		postgres.WithEnvNames(map[string]string{"DATABASE_URL": "PG_DSN"}),
	)
	fmt.Println(pg.Env(emulators.Endpoint{Host: "db", Port: postgres.Port}))
	fmt.Println(pg.Env(emulators.Endpoint{Host: "localhost", Port: 55432}))
	// Output:
	// map[PG_DSN:postgres://postgres:p%40ss%2Fword@db:5432/postgres?sslmode=disable]
	// map[PG_DSN:postgres://postgres:p%40ss%2Fword@localhost:55432/postgres?sslmode=disable]
}
