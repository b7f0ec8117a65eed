// Package deploycheck validates the deployment files (docker-compose.yml and deploy/) in tests,
// since no Docker engine runs where the tests do.
package deploycheck
