//! Canonical types through serde and the collector: a response replayed as stream events
//! collects back to itself; a request and a response survive a JSON round trip.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_response_replayed_as_events_collects_back_to_itself(resp in response()) {
        let mut c = Collector::new();
        for e in response_to_events(&resp) {
            c.push(e);
        }
        prop_assert_eq!(c.finish(), resp);
    }

    #[test]
    fn a_response_survives_json(resp in response()) {
        let text = serde_json::to_string(&resp).unwrap();
        let back: ChatResponse = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, resp);
    }

    #[test]
    fn a_request_survives_json(req in request()) {
        let text = serde_json::to_string(&req).unwrap();
        let back: ChatRequest = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, req);
    }
}
