// Package crm connects Switchboard to CRMs: connectors, field mapping,
// contact sync into phonebooks and call logging. The contact directory
// itself, the phonebooks a sync writes into, is in crm/directory.
package crm
