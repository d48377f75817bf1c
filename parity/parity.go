package parity

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/profiles"
	"github.com/prodlike/prodlike/profiles/truth"
)

// Families group the checks in reports.
const (
	FamilyVersion    = "engine version"
	FamilyConfig     = "engine config"
	FamilyExtensions = "extensions"
	FamilyStorage    = "storage and queues"
	FamilyImage      = "app image"
	FamilyEnv        = "config"
)

// Check is one rule. It looks at each dev service of its Kind beside that
// service's prod truth and returns what differs.
type Check struct {
	// ID is stable: reports, waivers and documentation use it.
	ID     string
	Title  string
	Family string
	// Severity is the most its findings can be; Run may report less.
	Severity Severity
	// Kind is the kind of service it looks at.
	Kind config.Kind
	// Needs says what the check cannot run without (live facts, prod
	// truth, the image, the catalog).
	Needs Needs
	// Run returns the findings for one service. The runner fills in the
	// check ID and service of each finding.
	Run func(t *Target) []Finding
}

// Needs is what a check needs to run for a service.
type Needs uint8

const (
	// NeedLive: the live facts of the stand-in.
	NeedLive Needs = 1 << iota
	// NeedProd: prod truth for the service.
	NeedProd
	// NeedImage: the app image's configuration.
	NeedImage
	// NeedCatalog: the cloud catalog entry of the managed service.
	NeedCatalog
)

// Target is what a check looks at for one service.
type Target struct {
	Dev  *Service
	Prod *truth.Resource
	// Managed is the catalog entry of the managed service prod runs; nil
	// when prod names none the catalog knows.
	Managed *profiles.Service
	// Env is the whole environment's truth.
	Env *truth.Environment
	Now time.Time
	// Facts are all the facts, for checks that look across services.
	Facts *Facts
}

// Run runs every check over the facts and applies the waivers for env.
// started is when the run began (facts collection included).
func Run(checks []Check, f *Facts, waivers []config.Waiver, started time.Time) *Report {
	r := &Report{Project: f.Project, Started: started}
	if f.Prod != nil {
		r.Env, r.Cloud, r.Region, r.Truth = f.Prod.Name, f.Prod.Cloud, f.Prod.Region, f.Prod.Source
	}
	for _, c := range checks {
		t0 := time.Now()
		res := runCheck(c, f)
		for i := range res.Findings {
			res.Findings[i].Waived = waiverFor(waivers, r.Env, res.Findings[i])
		}
		res.Status = Pass
		switch {
		case slices.ContainsFunc(res.Findings, func(x Finding) bool { return x.Waived == "" }):
			res.Status = Fail
		case len(res.Findings) == 0 && res.Reason != "" && !res.ran:
			res.Status = Skip
		}
		res.Duration = time.Since(t0)
		r.Results = append(r.Results, res.Result)
	}
	r.Duration = time.Since(started)
	return r
}

type result struct {
	Result
	ran bool // the check ran for at least one service
}

func runCheck(c Check, f *Facts) result {
	res := result{Result: Result{ID: c.ID, Title: c.Title, Family: c.Family}}
	var skipped []string
	for _, s := range f.Services {
		if s.Kind != c.Kind {
			continue
		}
		t := &Target{Dev: s, Env: f.Prod, Now: f.Now, Facts: f}
		if f.Prod != nil {
			t.Prod = f.Prod.Services[s.Name]
		}
		if t.Prod != nil && t.Prod.Managed != "" {
			t.Managed, _ = profiles.Lookup(t.Prod.Managed)
		}
		if why := c.unmet(t); why != "" {
			skipped = append(skipped, s.Name+": "+why)
			continue
		}
		res.ran = true
		for _, fd := range c.Run(t) {
			fd.Check = c.ID
			if fd.Service == "" {
				fd.Service = s.Name
			}
			if fd.Severity == 0 {
				fd.Severity = c.Severity
			}
			res.Findings = append(res.Findings, fd)
		}
	}
	switch {
	case len(skipped) > 0:
		res.Reason = "not checked for " + strings.Join(skipped, "; ")
	case !res.ran:
		res.Reason = fmt.Sprintf("the project has no %s service", c.Kind)
	}
	return res
}

// unmet says what the check needs and t lacks, "" when it can run.
func (c Check) unmet(t *Target) string {
	switch {
	case c.Needs&NeedProd != 0 && t.Prod == nil:
		env := "the environment"
		if t.Env != nil {
			env = t.Env.Name
		}
		return fmt.Sprintf("no prod truth (set x-prodlike.prod or %s's services)", env)
	case c.Needs&NeedCatalog != 0 && t.Managed == nil:
		if t.Prod != nil && t.Prod.Managed != "" {
			return fmt.Sprintf("prodlike's catalog has no %s", t.Prod.Managed)
		}
		return "prod names no managed service prodlike's catalog knows"
	case c.Needs&NeedLive != 0 && t.Dev.FactsErr != nil:
		return "the stand-in did not answer: " + t.Dev.FactsErr.Error()
	case c.Needs&NeedLive != 0 && !t.Dev.hasLive():
		return "the stand-in is not running"
	case c.Needs&NeedImage != 0 && (t.Dev.App == nil || t.Dev.App.Image == nil):
		if t.Dev.App != nil && t.Dev.App.ImageErr != nil {
			return "the image could not be inspected: " + t.Dev.App.ImageErr.Error()
		}
		return "the image could not be inspected"
	}
	return ""
}

func (s *Service) hasLive() bool {
	return s.Postgres != nil || s.Redis != nil || s.S3 != nil || s.SQS != nil || s.App != nil
}

// waiverFor returns the reason of the first waiver that covers the finding
// in env, "" when none does.
func waiverFor(waivers []config.Waiver, env string, f Finding) string {
	for _, w := range waivers {
		if w.Check == f.Check && (w.Service == "" || w.Service == f.Service) &&
			(w.Subject == "" || w.Subject == f.Subject) && (w.Env == "" || w.Env == env) {
			return w.Reason
		}
	}
	return ""
}

// CheckWaivers reports waivers that name a check that does not exist (with
// the closest IDs) or a service the project does not have, as config errors
// at the waiver's file and line.
func CheckWaivers(checks []Check, spec *config.Spec) error {
	var errs []error
	for i, w := range spec.Waivers {
		field := "x-prodlike.waive." + strconv.Itoa(i)
		if !slices.ContainsFunc(checks, func(c Check) bool { return c.ID == w.Check }) {
			msg := fmt.Sprintf("unknown check %q", w.Check)
			if near := config.Closest(strings.ToUpper(w.Check), checkIDs(checks), 3, true); len(near) > 0 {
				msg += "; did you mean " + strings.Join(near, " or ") + "?"
			}
			msg += " (`prodlike parity --list` shows every check)"
			errs = append(errs, &config.Error{File: w.File, Line: w.Line, Field: field + ".check", Msg: msg})
		}
		if _, ok := spec.Service(w.Service); w.Service != "" && !ok {
			errs = append(errs, &config.Error{File: w.File, Line: w.Line, Field: field + ".service", Msg: fmt.Sprintf("no service %q in the project", w.Service)})
		}
		if _, ok := spec.Environment(w.Env); w.Env != "" && !ok {
			errs = append(errs, &config.Error{File: w.File, Line: w.Line, Field: field + ".env", Msg: fmt.Sprintf("no environment %q under x-prodlike.environments", w.Env)})
		}
	}
	return errors.Join(errs...)
}

func checkIDs(checks []Check) []string {
	ids := make([]string, len(checks))
	for i, c := range checks {
		ids[i] = c.ID
	}
	return ids
}
