// Package salesforce reads Contacts and Leads (and, when configured,
// Accounts) from a Salesforce org through the REST API.
//
// Requests, all below the instance URL that the OAuth token response
// returned as instance_url, with the API version of Config.APIVersion:
//
//	SearchByPhone  GET /services/data/vNN.N/search/?q=FIND {…} IN PHONE FIELDS RETURNING Contact(…), Lead(…) LIMIT 20
//	ListChanged    GET /services/data/vNN.N/query?q=SELECT … WHERE LastModifiedDate >= … ORDER BY LastModifiedDate, Id
//	               GET nextRecordsUrl of the previous response
//	               GET /services/data/vNN.N/sobjects/{Object}/deleted/?start=…&end=…
//	Sample         GET /services/data/vNN.N/query?q=SELECT … ORDER BY LastModifiedDate DESC LIMIT 1
//	Fields         GET /services/data/vNN.N/sobjects/{Object}/describe
//	Test           GET /services/data/ (the versions the org offers)
//	               GET /services/data/vNN.N/query?q=SELECT Id, Name FROM Organization
//	               GET /services/data/vNN.N/sobjects/ (describe global: object permissions)
//
// Record properties are keyed by Salesforce field API name. Relationship
// fields are flattened with a dot: the owner's name is "Owner.Name" and a
// Contact's account name is "Account.Name". Fields lists those relationship
// fields next to the described ones so that a mapping can use them.
//
// # Change listing
//
// ListChanged merges one SOQL query per object and, for an incremental
// listing (since not zero), the deleted records of each object into one
// stream ordered by time and then Id. A deleted record is returned with
// Archived set and UpdatedAt set to its deletedDate.
//
// The first page fixes the upper bound of the listing, stored in the cursor
// as "until". For an incremental listing it is the earliest
// latestDateCovered the deleted-records resource returned, so every change
// and deletion before the bound is listed and nothing after it. The caller
// must therefore take its next since from the latest UpdatedAt it received,
// not from the wall clock, or it would skip the changes between the bound
// and the end of the run.
//
// The cursor is base64url-encoded JSON with, per object, the position
// (time and Id) of the last record returned, the nextRecordsUrl to follow
// when the whole previous batch was returned, and whether the object's
// changes and deletions are exhausted. A page returns the records up to the
// oldest last record of the batches that have more after them. The next
// page reads the rest of a partly returned batch again, with a query that
// starts after the stored position. The same query replaces a query locator
// that has expired (INVALID_QUERY_LOCATOR), so an interrupted sync resumes
// without gaps or duplicates.
//
// The deleted-records resource only reaches back 15 days (Salesforce REST
// API guide, "sObject Get Deleted"), and less when the recycle bin was
// emptied. Deletions older than that are not reported. A listing requests
// at most 14 days back. A cursor resumed more than a day after its listing
// started may therefore reach past the window and be rejected, and the
// listing must then start again from its since.
package salesforce
