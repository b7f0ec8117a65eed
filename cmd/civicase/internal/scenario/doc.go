// Package scenario holds the compliance acceptance scenario: a small city — a province, one city,
// three wards — driven through the public gRPC APIs of intake, routing and supervision as the
// officers who would do it, and every statutory report form of Circular 01/2024/TT-TTCP generated
// by the reporting service for one ward and for the city, over two quarters, compared cell by cell
// with numbers worked out by hand in testdata/scenario.yaml. The package has only its test.
package scenario
