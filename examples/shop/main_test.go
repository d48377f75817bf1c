package main

import (
	"strings"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		want     config
		wantErrs []string
	}{
		{
			name: "defaults",
			env:  map[string]string{"DATABASE_URL": "postgres://db", "REDIS_URL": "redis://cache"},
			want: config{DatabaseURL: "postgres://db", RedisURL: "redis://cache", Port: 8080},
		},
		{
			name: "port",
			env:  map[string]string{"DATABASE_URL": "postgres://db", "REDIS_URL": "redis://cache", "PORT": "9000"},
			want: config{DatabaseURL: "postgres://db", RedisURL: "redis://cache", Port: 9000},
		},
		{
			name:     "nothing set",
			env:      map[string]string{},
			wantErrs: []string{"DATABASE_URL is required", "REDIS_URL is required"},
		},
		{
			name:     "redis missing",
			env:      map[string]string{"DATABASE_URL": "postgres://db"},
			wantErrs: []string{"REDIS_URL is required"},
		},
		{
			name:     "bad port",
			env:      map[string]string{"DATABASE_URL": "postgres://db", "REDIS_URL": "redis://cache", "PORT": "http"},
			wantErrs: []string{`PORT must be a port number, got "http"`},
		},
		{
			name:     "port out of range",
			env:      map[string]string{"DATABASE_URL": "postgres://db", "REDIS_URL": "redis://cache", "PORT": "70000"},
			wantErrs: []string{"PORT must be a port number"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configFromEnv(func(k string) string { return tt.env[k] })
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				if got != tt.want {
					t.Errorf("config = %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("err = nil, want %q", tt.wantErrs)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}
