// Package routing decides where an incoming call goes. A telephony
// connection has an ordered list of rules and a default route. Each rule is
// a condition and a route, written in the expression language of
// github.com/expr-lang/expr and checked against the caller's contact and the
// call. The first rule that fires gives the route. When no rule fires, or
// anything fails, the call takes the default route.
//
// Rules are compiled once, when they are saved (Compile). Type errors such
// as an unknown field or a condition that is not a boolean are reported then.
// Decide runs a contact lookup and the rules for each call under the
// deadline of the provider's webhook.
//
// # Names in expressions
//
//	contact           the matched contact, nil when no contact has the caller's number
//	contact.id, .phonebook_id, .external_id, .first_name, .last_name,
//	  .display_name, .company, .owner, .crm_url            strings
//	contact.emails, contact.phone_numbers                  lists of strings, numbers in E.164
//	contact.extra_data.KEY                                 any JSON value, nil when KEY is missing
//	call.from, call.to          E.164 when the party is a number, the raw value otherwise
//	call.from_raw, call.to_raw  as the provider sent them
//	call.direction              "inbound" or "outbound"
//	call.provider               "twilio", "telnyx", "vonage", "aircall" or "generic"
//	call.connection_id
//	now.hour (0-23), now.minute, now.weekday ("Mon".."Sun"),
//	now.weekday_number (1 Monday .. 7 Sunday), now.date ("2006-01-02"), now.time ("15:04")
//	                            in the workspace's time zone
//	match_count                 number of contacts with the caller's number
//	business_hours(days, open, close)
//	                            true when now is inside the window, for example
//	                            business_hours("Mon-Fri", "09:00", "17:30"); see below
//
// Reading a field of a nil contact is a runtime error, which sends the call
// to the default route. Guard with `contact != nil && ...` or use expr's
// optional chaining, `contact?.extra_data?.tier == "vip"`, which yields nil
// instead. A missing key in extra_data is nil, never an error.
//
// # Examples
//
//	when: contact?.extra_data?.tier == "vip"                 route: queue "vip"
//	when: contact != nil && contact.owner != ""              route: extension, target_expr: contact.extra_data.owner_extension
//	when: contact == nil                                     route: queue "sales"
//	when: !business_hours("Mon-Fri", "09:00", "17:30")       route: voicemail
//	when: now.weekday in ["Sat", "Sun"] || now.hour < 8      route: voicemail
//	when: match_count > 1                                    route: queue "front-desk"
//
// # business_hours
//
// days is a comma-separated list of day names and ranges ("Mon-Fri",
// "Mon-Fri,Sun", "Fri-Mon"). open and close are "HH:MM" in 24-hour time; the
// window includes open and excludes close, and close may be "24:00". A close
// earlier than open is a window past midnight that belongs to the day it
// opens on: business_hours("Fri", "22:00", "02:00") holds on Saturday at 01:00.
// Arguments written as string literals are checked by Compile.
//
// # Targets
//
// A rule's route has a static target, or a target_expr whose value becomes
// the target. A target_expr that yields nil, an empty string, a fraction or
// anything other than a string or a number does not fire the rule: the next
// rule is tried and Decision.Skipped records why. Whole numbers are written
// without decimals, so an extension stored as 101 in JSON becomes "101".
// Number targets are normalised to E.164.
package routing
