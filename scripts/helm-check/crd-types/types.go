// Package crdtypes only names the Go types whose CustomResourceDefinitions the chart check needs
// (ServiceMonitor, PrometheusRule): controller-gen generates their schemas from this module, so the
// check validates the chart's monitoring resources without a cluster and without the network.
package crdtypes

import _ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
