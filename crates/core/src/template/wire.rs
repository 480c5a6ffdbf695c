//! `wire_enum!`: a closed set of Meta's uppercase wire strings as a Rust enum.
//!
//! `as_str` and serde use Meta's spelling exactly (`MARKETING`); `parse` accepts any case,
//! because SDKs differ (pywa sends `MARKETING`, @kapso/whatsapp-cloud-api sends `positional`)
//! and Meta accepts both on create (reference §7, §9).

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $field:literal {
            // `tt`, not `literal`: a `literal` fragment reaches derive macros wrapped in an
            // invisible group that utoipa's serde-attribute reader skips, so the document
            // would spell the Rust variant names instead of Meta's.
            $( $(#[$vmeta:meta])* $variant:ident => $wire:tt ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            utoipa::ToSchema,
        )]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )*
        }

        impl $name {
            /// Every value, in Meta's documented order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// Meta's wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }

            /// Meta's wire spelling in any case; the error names the field `field`.
            pub fn parse_field(
                s: &str,
                field: &str,
            ) -> Result<Self, $crate::error::ValidationError> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| {
                        let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        $crate::content::fields::unknown(field, s, &allowed)
                    })
            }

            /// Meta's wire spelling in any case.
            pub fn parse(s: &str) -> Result<Self, $crate::error::ValidationError> {
                Self::parse_field(s, $field)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

pub(crate) use wire_enum;
