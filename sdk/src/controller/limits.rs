//! Limits a request is checked against before it is sent `[IM-110]`: the protocol's own
//! (`[IM-4]` message size and entries, `[IM-60]` subscription intervals) and the ones the
//! device states in its descriptor (`[DM-43]` paths per request). A request over a limit
//! would only come back as a status without context (or, over `[IM-4]`, without even its
//! exchange number), so the controller says which limit it is and what it is instead.

use orbit_core::interaction::{SubscribeRequest, IM_LIMITS};
use orbit_core::model::DeviceLimits;

/// The largest `max_interval_s` a device grants `[IM-60]`.
pub const MAX_INTERVAL_S: u32 = 3600;

/// A request over a limit, refused before it was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// More paths (or write entries) than the device takes in one request.
    #[error("{count} paths in one request; {whose} limit is {max} (split the request)")]
    TooManyPaths {
        /// Paths in the request.
        count: usize,
        /// The limit.
        max: usize,
        /// Whose limit it is: the device's descriptor or the protocol's.
        whose: &'static str,
    },
    /// The encoded request is larger than an interaction message may be.
    #[error(
        "the request is {len} bytes encoded; an interaction message is at most {max} bytes [IM-4]"
    )]
    TooLarge {
        /// The request's encoded size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Subscription intervals out of range.
    #[error(
        "subscription intervals must satisfy 1 <= max <= {MAX_INTERVAL_S} s and min <= max \
         [IM-60]; got min {min} s, max {max} s"
    )]
    Interval {
        /// The minimum interval asked for.
        min: u32,
        /// The maximum interval asked for.
        max: u32,
    },
}

/// Checks a request of `count` paths against the protocol's entry limit and, when known, the
/// device's own.
pub(crate) fn check_paths(count: usize, device: Option<&DeviceLimits>) -> Result<(), LimitError> {
    let protocol = IM_LIMITS.max_collection;
    if count > protocol {
        return Err(LimitError::TooManyPaths {
            count,
            max: protocol,
            whose: "the protocol's [IM-4]",
        });
    }
    if let Some(d) = device {
        let max = usize::try_from(d.max_paths_per_request).unwrap_or(usize::MAX);
        if count > max {
            return Err(LimitError::TooManyPaths {
                count,
                max,
                whose: "the device's",
            });
        }
    }
    Ok(())
}

/// Checks a subscription's intervals `[IM-60]`.
pub(crate) fn check_intervals(request: &SubscribeRequest) -> Result<(), LimitError> {
    let (min, max) = (request.min_interval_s, request.max_interval_s);
    if max == 0 || max > MAX_INTERVAL_S || min > max {
        return Err(LimitError::Interval { min, max });
    }
    Ok(())
}

/// Checks an encoded request's size `[IM-4]`.
pub(crate) fn check_size(len: usize) -> Result<(), LimitError> {
    if len > IM_LIMITS.max_message {
        return Err(LimitError::TooLarge {
            len,
            max: IM_LIMITS.max_message,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limits_is_refused_with_the_limit_named() {
        // [IM-110]
        let device = DeviceLimits {
            max_paths_per_request: 16,
            max_subscriptions_per_session: 4,
            max_subscriptions_per_home: 8,
            event_buffer: 32,
            max_message: 8192,
        };
        assert_eq!(check_paths(16, Some(&device)), Ok(()));
        let e = check_paths(17, Some(&device)).unwrap_err();
        assert!(e.to_string().contains("17 paths") && e.to_string().contains("limit is 16"));
        let e = check_paths(200, None).unwrap_err();
        assert!(e.to_string().contains("limit is 128"), "{e}");
        assert_eq!(check_size(8192), Ok(()));
        assert!(check_size(8193).unwrap_err().to_string().contains("8192"));
        let sub = |min, max| SubscribeRequest {
            min_interval_s: min,
            max_interval_s: max,
            ..Default::default()
        };
        assert_eq!(check_intervals(&sub(0, 1)), Ok(()));
        assert_eq!(check_intervals(&sub(0, 3600)), Ok(()));
        for (min, max) in [(0, 0), (0, 3601), (5, 4)] {
            assert_eq!(
                check_intervals(&sub(min, max)),
                Err(LimitError::Interval { min, max })
            );
        }
    }
}
