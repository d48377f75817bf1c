package truth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/config"
)

// Discovery is what a Terraform state or plan holds that compose services
// can stand for: what `prodlike init` matches services to.
type Discovery struct {
	// Source names the file and its form: "infra/prod.json (terraform
	// state)".
	Source string
	// Clouds are the clouds whose managed resources the file holds (aws,
	// gcp, azure, by the providers' resource type prefixes), sorted.
	Clouds []string
	// Resources are the resources the Terraform reader can read as a
	// service's prod truth, in file order: Postgres instances and clusters
	// (not read replicas or cluster members), Redis and Valkey caches,
	// buckets, queues, ECS task definitions and Lambda functions.
	Resources []config.ProdResource
}

// cloudPrefixes map Terraform resource type prefixes to clouds.
var cloudPrefixes = map[string]string{"aws_": "aws", "google_": "gcp", "azurerm_": "azure"}

// Discover reads the Terraform JSON at path — a state or a plan, as
// `terraform show -json` writes them — and lists its resources that compose
// services can stand for. A relative path starts at dir; messages show it
// as given, and env names the environment in the hint for a raw .tfstate
// file. The file errors are ReadTerraform's.
func Discover(dir, path, env string) (*Discovery, error) {
	file := path
	if !filepath.IsAbs(file) && dir != "" {
		file = filepath.Join(dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("Terraform JSON %s does not exist; write it with `terraform show -json > %s` (or `terraform show -json <planfile> > %s`): %w", path, path, path, err)
		}
		return nil, fmt.Errorf("cannot read Terraform JSON %s: %w", path, err)
	}
	return ParseDiscover(data, path, env)
}

// ParseDiscover is Discover for JSON already read; name is the file it came
// from, for messages and Source.
func ParseDiscover(data []byte, name, env string) (*Discovery, error) {
	doc, err := decodeTerraform(data, name, config.Environment{Name: env})
	if err != nil {
		return nil, err
	}
	form := "terraform state"
	if doc.plan {
		form = "terraform plan"
	}
	out := &Discovery{Source: fmt.Sprintf("%s (%s)", name, form)}
	rd := newReader(doc, name, nil, &Environment{})
	for _, r := range doc.resources {
		for prefix, cloud := range cloudPrefixes {
			if strings.HasPrefix(r.Type, prefix) && !slices.Contains(out.Clouds, cloud) {
				out.Clouds = append(out.Clouds, cloud)
			}
		}
		kind, ok := rd.discoverKind(r)
		if !ok {
			continue
		}
		out.Resources = append(out.Resources, config.ProdResource{
			Address: r.Address,
			Type:    r.Type,
			Kind:    kind,
			Name:    plainAttr(r, resourceNames[r.Type]),
			Engine:  discoverEngine(kind, r),
			Region:  resourceRegion(r),
			Keys:    terraformNames(r),
		})
	}
	slices.Sort(out.Clouds)
	return out, nil
}

// discoverKind is the kind of service that can stand for r, when one can:
// the candidates the reader takes for a service without x-prodlike.prod,
// and every bucket and queue.
func (rd *reader) discoverKind(r *tfResource) (config.Kind, bool) {
	switch r.Type {
	case "aws_s3_bucket":
		return config.KindS3, true
	case "aws_sqs_queue":
		return config.KindSQS, true
	}
	for _, k := range []config.Kind{config.KindPostgres, config.KindRedis, config.KindApp} {
		if rd.candidate(config.Service{Kind: k}, r) {
			return k, true
		}
	}
	return "", false
}

// resourceNames are the attributes that hold each type's name in the cloud.
var resourceNames = map[string]string{
	"aws_db_instance":                   "identifier",
	"aws_rds_cluster":                   "cluster_identifier",
	"aws_elasticache_replication_group": "replication_group_id",
	"aws_elasticache_cluster":           "cluster_id",
	"aws_elasticache_serverless_cache":  "name",
	"aws_s3_bucket":                     "bucket",
	"aws_sqs_queue":                     "name",
	"aws_ecs_task_definition":           "family",
	"aws_lambda_function":               "function_name",
}

// plainAttr is a string attribute that is known and not sensitive; "" when
// it is not.
func plainAttr(r *tfResource, name string) string {
	if name == "" {
		return ""
	}
	a := r.get(name)
	if a.unknown || a.sensitive {
		return ""
	}
	s, _ := a.str()
	return s
}

func discoverEngine(kind config.Kind, r *tfResource) string {
	switch kind {
	case config.KindPostgres:
		return plainAttr(r, "engine")
	case config.KindRedis:
		e := plainAttr(r, "engine")
		if e == "" && !r.get("engine").unknown && r.Type != "aws_elasticache_serverless_cache" {
			e = "redis" // the provider's default
		}
		return e
	}
	return ""
}

// resourceRegion is the region of r: its region attribute (AWS provider
// v6), else the region field of its ARN (arn:aws:sqs:eu-west-1:…); "" when
// neither says (S3 ARNs have none).
func resourceRegion(r *tfResource) string {
	if s := plainAttr(r, "region"); s != "" {
		return s
	}
	parts := strings.SplitN(plainAttr(r, "arn"), ":", 5)
	if len(parts) == 5 && parts[0] == "arn" {
		return parts[3]
	}
	return ""
}
