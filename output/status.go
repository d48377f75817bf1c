package output

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/prodlike/prodlike/stack"
)

// StatusTable writes one row per service: state, kind, image, the version the
// live server reports beside the prod version it is pinned to, and where it
// is published on this machine.
func StatusTable(w io.Writer, services []stack.ServiceStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SERVICE\tKIND\tSTATE\tIMAGE\tVERSION\tPROD\tPORTS\n")
	for _, s := range services {
		version := s.Version
		switch {
		case version == "" && s.FactsErr != nil:
			version = "? (not answering)"
		case version == "":
			version = "-"
		}
		prod := s.ProdVersion
		if prod == "" {
			prod = "-"
		}
		name := s.Service
		if !s.InPlan {
			name += " (not in compose file)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, s.Kind, s.State, s.Image, version, prod, portsString(s.Ports))
	}
	return tw.Flush()
}

func portsString(ports []stack.Port) string {
	var out []string
	seen := map[string]bool{}
	for _, p := range ports {
		if p.Host == 0 {
			continue
		}
		host := "localhost"
		if p.HostIP != "" && p.HostIP != "127.0.0.1" && p.HostIP != "0.0.0.0" && p.HostIP != "::" {
			host = p.HostIP
		}
		s := fmt.Sprintf("%s->%d", net.JoinHostPort(host, strconv.Itoa(p.Host)), p.Container)
		if p.Protocol == "udp" {
			s += "/udp"
		}
		if !seen[s] { // IPv4 and IPv6 bindings of the same port
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}

// statusJSON is the stable machine form of a service's status.
type statusJSON struct {
	Service     string `json:"service"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	Image       string `json:"image"`
	Version     string `json:"version,omitempty"`
	ProdVersion string `json:"prod_version,omitempty"`
	Ports       []port `json:"ports"`
	InPlan      bool   `json:"in_compose_file"`
}

type port struct {
	HostIP    string `json:"host_ip,omitempty"`
	Host      int    `json:"host"`
	Container int    `json:"container"`
	Protocol  string `json:"protocol"`
}

// StatusJSON writes the services as a JSON array.
func StatusJSON(w io.Writer, services []stack.ServiceStatus) error {
	out := make([]statusJSON, 0, len(services))
	for _, s := range services {
		j := statusJSON{Service: s.Service, Kind: s.Kind, State: s.State, Image: s.Image,
			Version: s.Version, ProdVersion: s.ProdVersion, Ports: []port{}, InPlan: s.InPlan}
		for _, p := range s.Ports {
			if p.Host != 0 {
				j.Ports = append(j.Ports, port{p.HostIP, p.Host, p.Container, p.Protocol})
			}
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
