package s3_test

import (
	"errors"
	"fmt"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/s3"
)

// A stand-in for production's buckets: uploads with versioning and a CORS
// rule for the web app, and a plain bucket for reports.
func ExampleNew() {
	files, err := s3.New("versity/versitygw:v1.8.0",
		s3.WithRegion("eu-west-1"),
		s3.WithBuckets(
			s3.Bucket{
				Name:       "user-uploads",
				Versioning: true,
				CORS: []s3.CORSRule{{
					AllowedOrigins: []string{"https://app.example.com"},
					AllowedMethods: []string{"GET", "PUT"},
					AllowedHeaders: []string{"*"},
					ExposeHeaders:  []string{"ETag"},
					MaxAgeSeconds:  3000,
				}},
			},
			s3.Bucket{Name: "reports"},
		),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := files.Container()
	fmt.Println(c.Image, c.Port, c.DataDir)
	fmt.Printf("%q\n", c.Dirs)
	fmt.Printf("%q\n", c.Cmd)
	// Output:
	// versity/versitygw:v1.8.0 7070 /data
	// ["/data/buckets" "/data/versions"]
	// ["--port" ":7070" "--region" "eu-west-1" "posix" "--versioning-dir" "/data/versions" "/data/buckets"]
}

// The app inside the project network reaches the stand-in by service name,
// path-style; each bucket's name comes in its own variable, renamed here to
// what the service reads.
func ExampleStandin_Env() {
	files, _ := s3.New("versity/versitygw:v1.8.0",
		s3.WithBuckets(s3.Bucket{Name: "user-uploads"}),
		s3.WithEnvNames(emulators.EnvNames{"S3_BUCKET_USER_UPLOADS": "UPLOADS_BUCKET"}),
	)
	env := files.Env(emulators.Endpoint{Host: "files", Port: s3.Port})
	for _, name := range []string{"AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_USE_PATH_STYLE", "UPLOADS_BUCKET"} {
		fmt.Printf("%s=%s\n", name, env[name])
	}
	// Output:
	// AWS_ENDPOINT_URL_S3=http://files:7070
	// AWS_REGION=us-east-1
	// AWS_ACCESS_KEY_ID=prodlike
	// AWS_SECRET_ACCESS_KEY=prodlike-dev-secret
	// S3_USE_PATH_STYLE=true
	// UPLOADS_BUCKET=user-uploads
}

// New checks every option and reports all problems at once.
func ExampleNew_invalid() {
	_, err := s3.New("",
		s3.WithBuckets(
			s3.Bucket{Name: "User_Uploads"},
			s3.Bucket{Name: "site", CORS: []s3.CORSRule{{AllowedMethods: []string{"PATCH"}}}},
		),
	)
	fmt.Println(errors.Is(err, s3.ErrInvalidOption))
	fmt.Println(err)
	// Output:
	// true
	// s3: bucket "User_Uploads": want lower case letters, digits, '.' and '-', starting and ending with a letter or digit: invalid s3 option
	// bucket "site": CORS rule 1: no allowed origin, want at least one: invalid s3 option
	// bucket "site": CORS rule 1: allowed method "PATCH": want one of GET, PUT, POST, DELETE, HEAD: invalid s3 option
}
