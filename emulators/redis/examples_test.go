package redis_test

import (
	"errors"
	"fmt"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/redis"
)

// A stand-in for an ElastiCache Redis replication group with an auth token
// and a parameter group that sets the eviction policy.
func ExampleNew() {
	cache, err := redis.New("redis:7.1",
		redis.WithPassword("token"),
		redis.WithConfig(map[string]string{
			"maxmemory-policy": "volatile-lru",
			"maxmemory":        "256mb",
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := cache.Container()
	fmt.Println(c.Image, c.Port, c.DataDir)
	fmt.Printf("%q\n", c.Cmd)
	// Output:
	// redis:7.1 6379 /data
	// ["redis-server" "--maxmemory" "256mb" "--maxmemory-policy" "volatile-lru" "--requirepass" "token"]
}

// ElastiCache for Valkey: the same protocol, the valkey image and binary.
func ExampleWithEngine() {
	cache, _ := redis.New("", redis.WithEngine(redis.EngineValkey))
	c := cache.Container()
	fmt.Println(c.Image, c.Cmd)
	// Output:
	// valkey/valkey [valkey-server]
}

// New checks every option and reports all problems at once.
func ExampleNew_invalid() {
	_, err := redis.New("",
		redis.WithEngine("keydb"),
		redis.WithConfig(map[string]string{"requirepass": "x"}),
	)
	fmt.Println(errors.Is(err, redis.ErrInvalidOption))
	fmt.Println(err)
	// Output:
	// true
	// redis: engine "keydb": want "redis" or "valkey": invalid redis option
	// config "requirepass": use WithPassword: invalid redis option
}

// The app inside the project network reaches the stand-in by service name;
// a shell on the host uses the published port.
func ExampleStandin_Env() {
	cache, _ := redis.New("redis:7.1",
		redis.WithPassword("p@ss/word"),
		redis.WithEnvNames(map[string]string{"REDIS_URL": "CACHE_URL"}),
	)
	fmt.Println(cache.Env(emulators.Endpoint{Host: "cache", Port: redis.Port}))
	fmt.Println(cache.Env(emulators.Endpoint{Host: "localhost", Port: 56379}))
	// Output:
	// map[CACHE_URL:redis://:p%40ss%2Fword@cache:6379/0]
	// map[CACHE_URL:redis://:p%40ss%2Fword@localhost:56379/0]
}
