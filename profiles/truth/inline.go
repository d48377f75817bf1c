package truth

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/config"
)

// Read returns what env runs for the services of spec: the Terraform state
// or plan the environment names, with the inline form
// (environments.<env>.services) laid over it field by field. An environment
// with neither gives an Environment without services.
func Read(spec *config.Spec, env config.Environment) (*Environment, error) {
	var out *Environment
	if env.Terraform != "" {
		var err error
		// A relative path is read from the project directory and shown as
		// written.
		if out, err = ReadTerraform(env.Terraform, env, spec); err != nil {
			return nil, err
		}
	} else {
		out = &Environment{Name: env.Name, Cloud: env.Cloud, Region: env.Region, Services: map[string]*Resource{}}
	}
	if len(env.Services) > 0 {
		file := ""
		if len(spec.Files) > 0 {
			file, _ = spec.Where("x-prodlike", "environments", env.Name, "services")
		}
		inline := fmt.Sprintf("%s (inline)", file)
		if out.Source == "" {
			out.Source = inline
		} else {
			out.Source += " + " + inline
		}
	}
	for _, name := range slices.Sorted(maps.Keys(env.Services)) {
		svc, ok := spec.Service(name)
		if !ok {
			continue // config reports it
		}
		if out.Services == nil {
			out.Services = map[string]*Resource{}
		}
		out.Services[name] = overlay(out.Services[name], svc, env, env.Services[name])
	}
	return out, nil
}

// overlay lays the inline truth of svc over r (nil when Terraform had
// nothing for it) and returns the result.
func overlay(r *Resource, svc config.Service, env config.Environment, in config.ProdService) *Resource {
	if r == nil {
		r = &Resource{Service: svc.Name}
	}
	r.Addresses = append(r.Addresses, fmt.Sprintf("x-prodlike.environments.%s.services.%s", env.Name, svc.Name))
	if r.Managed == "" {
		r.Managed = managedService(env.Cloud, svc, in.Engine)
	}
	switch svc.Kind {
	case config.KindPostgres:
		if r.Postgres == nil {
			r.Postgres = &Postgres{}
		}
		p := r.Postgres
		p.Engine = first(in.Engine, p.Engine, "postgres")
		p.Version = first(in.Version, p.Version)
		p.Parameters = merged(p.Parameters, in.Parameters)
		if in.TLS != nil {
			p.TLS = in.TLS
		}
		if p.Engine == "aurora-postgresql" && env.Cloud == "aws" {
			r.Managed = "aws.aurora-postgres"
		}
	case config.KindRedis:
		if r.Redis == nil {
			r.Redis = &Redis{}
		}
		rd := r.Redis
		rd.Engine = first(in.Engine, rd.Engine, svc.Engine, "redis")
		rd.Version = first(in.Version, rd.Version)
		rd.Parameters = merged(rd.Parameters, in.Parameters)
		setBool(&rd.TLS, in.TLS)
		setBool(&rd.AuthToken, in.Auth)
		setBool(&rd.ClusterMode, in.ClusterMode)
	case config.KindS3:
		if in.Buckets != nil {
			r.Storage = &Storage{}
			dev := matchDev(named(in.Buckets, func(b config.Bucket) string { return b.Name }), bucketNames(svc), false)
			for i, b := range in.Buckets {
				status := ""
				if b.Versioning {
					status = "Enabled"
				}
				r.Storage.Buckets = append(r.Storage.Buckets, ProdBucket{Bucket: b, Status: status, DevName: dev[i]})
			}
		}
	case config.KindSQS:
		if in.Queues != nil {
			r.Queues = &Queues{}
			dev := matchDev(named(in.Queues, func(q config.Queue) string { return q.Name }), queueNames(svc), true)
			for i, q := range in.Queues {
				r.Queues.Queues = append(r.Queues.Queues, ProdQueue{Queue: q, DevName: dev[i]})
			}
		}
	case config.KindApp:
		if r.App == nil {
			r.App = &App{}
		}
		a := r.App
		a.Platform = first(in.Platform, a.Platform)
		a.Env = merged(a.Env, in.Env)
		for _, s := range in.Secrets {
			if a.Env == nil {
				a.Env = map[string]string{}
			}
			a.Env[s] = Redacted
			if !slices.Contains(a.Secrets, s) {
				a.Secrets = append(a.Secrets, s)
			}
		}
		slices.Sort(a.Secrets)
	}
	return r
}

// managedService names the catalog service a stand-in plays in cloud: the
// stand-in's own identifier when it names a cloud service
// (aws.rds-postgres), else the cloud's usual service for the kind.
func managedService(cloud string, svc config.Service, engine string) string {
	if strings.HasPrefix(svc.Standin, cloud+".") {
		return svc.Standin
	}
	if engine == "" {
		engine = svc.Engine
	}
	switch svc.Kind {
	case config.KindPostgres:
		switch {
		case cloud == "aws" && engine == "aurora-postgresql":
			return "aws.aurora-postgres"
		case cloud == "aws":
			return "aws.rds-postgres"
		case cloud == "gcp":
			return "gcp.cloudsql-postgres"
		case cloud == "azure":
			return "azure.postgres-flexible"
		}
	case config.KindRedis:
		switch cloud {
		case "aws":
			return "aws.elasticache"
		case "gcp":
			if engine == "valkey" {
				return "gcp.memorystore-valkey"
			}
			return "gcp.memorystore-redis"
		case "azure":
			return "azure.cache-redis"
		}
	case config.KindS3:
		if cloud == "aws" {
			return "aws.s3"
		}
	case config.KindSQS:
		if cloud == "aws" {
			return "aws.sqs"
		}
	}
	return ""
}

// named turns inline prod resources into names matchDev pairs with dev
// ones (inline entries have no Terraform keys).
func named[T any](items []T, name func(T) string) []matchable {
	out := make([]matchable, len(items))
	for i, it := range items {
		out[i] = matchable{name: name(it)}
	}
	return out
}

func bucketNames(svc config.Service) []string {
	var out []string
	for _, b := range svc.Buckets {
		out = append(out, b.Name)
	}
	return out
}

func queueNames(svc config.Service) []string {
	var out []string
	for _, q := range svc.Queues {
		out = append(out, q.Name)
	}
	return out
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func merged(base, over map[string]string) map[string]string {
	if base == nil && over == nil {
		return nil
	}
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}
