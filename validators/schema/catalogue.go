package schema

import (
	"fmt"
	"sort"
	"strings"
)

// Set describes one set of schemas shipped inside aiden: the Kubernetes
// release's built-in kinds, or the CRDs one project released at one
// pinned version.
type Set struct {
	// Name is the set's name ("cert-manager", "kubernetes").
	Name string `json:"name"`
	// Project is who released it and Version which release.
	Project string `json:"project"`
	Version string `json:"version"`
	// License is the SPDX identifier of the source's licence.
	License string `json:"license"`
	// Source says where the manifests were read: module@version and the
	// files, or a repository's tag.
	Source string `json:"source"`
	// Fallback sets only add kinds no other set has.
	Fallback bool `json:"fallback,omitempty"`
	// Kinds lists "apiVersion/Kind" of every kind the set has a schema
	// for, sorted.
	Kinds []string `json:"kinds"`
	// Shadowed lists the kinds of Kinds whose schema comes from another
	// set, which wins by the merge order.
	Shadowed []string `json:"shadowed,omitempty"`
}

// KindSchema tells where the schema of one group/version/kind comes from.
type KindSchema struct {
	// APIVersion and Kind name it.
	APIVersion, Kind string
	// Set is the set whose schema validates objects of the kind.
	Set string
}

// Catalogue lists the shipped sets: the newest Kubernetes bundle first,
// then the CRD sets in the order they are merged.
func Catalogue() ([]Set, error) {
	all, newest, err := loadBundles()
	if err == nil {
		err = loadHeads()
	}
	if err != nil {
		return nil, err
	}
	k := all[newest]
	kube := Set{Name: "kubernetes", Project: "Kubernetes", Version: "v" + k.KubernetesVersion,
		License: "Apache-2.0", Source: k.Source}
	for key := range k.Kinds {
		if kindSet[key] == nil {
			kube.Kinds = append(kube.Kinds, key)
		}
	}
	sort.Strings(kube.Kinds)
	out := []Set{kube}
	for _, b := range crdSets {
		s := Set{Name: b.Name, Project: b.Project, Version: b.Version, License: b.License, Source: b.Source, Fallback: b.Fallback}
		for key := range b.Kinds {
			s.Kinds = append(s.Kinds, key)
			if kindSet[key] != b {
				s.Shadowed = append(s.Shadowed, key)
			}
		}
		sort.Strings(s.Kinds)
		sort.Strings(s.Shadowed)
		out = append(out, s)
	}
	return out, nil
}

// FindKind returns where the schemas of a kind come from, one entry per
// API version, matching the kind case-insensitively ("certificate" finds
// cert-manager.io/v1/Certificate); kind may also be "apiVersion/Kind".
func FindKind(kind string) ([]KindSchema, error) {
	all, newest, err := loadBundles()
	if err == nil {
		err = loadHeads()
	}
	if err != nil {
		return nil, err
	}
	var out []KindSchema
	for key := range all[newest].Kinds {
		i := strings.LastIndex(key, "/")
		av, k := key[:i], key[i+1:]
		if !strings.EqualFold(k, kind) && !strings.EqualFold(key, kind) {
			continue
		}
		set := "kubernetes"
		if b := kindSet[key]; b != nil {
			set = b.Name
		}
		out = append(out, KindSchema{APIVersion: av, Kind: k, Set: set})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no shipped schema for kind %q", kind)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].APIVersion < out[j].APIVersion })
	return out, nil
}

// shippedSet names the set whose schema validates apiVersion/kind, or ""
// when none is shipped.
func shippedSet(b *bundle, apiVersion, kind string) string {
	if loadHeads() != nil {
		return ""
	}
	key := apiVersion + "/" + kind
	if s := kindSet[key]; s != nil {
		return s.Name + " " + s.Version
	}
	if _, ok := b.Kinds[key]; ok {
		return "kubernetes v" + b.KubernetesVersion
	}
	return ""
}
