//! Memory-mapped devices.
//!
//! A device implements [`MmioDevice`]; the [`crate::PhysBus`] calls it with
//! the offset inside the device's region. Devices keep their state behind
//! interior mutability (`&self`), so the bus can be shared by every CPU.

use crate::pas::Pas;

/// Attributes of one physical access as a device sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessAttrs {
    /// The physical address space of the access.
    pub pas: Pas,
    /// Index of the requesting CPU (`None` for a host/debugger access).
    pub requester: Option<u32>,
    /// The access was made by a privileged (EL1 or higher) context.
    pub privileged: bool,
}

impl AccessAttrs {
    /// A debugger/loader access: Root PAS, no requesting CPU.
    pub fn host() -> AccessAttrs {
        AccessAttrs {
            pas: Pas::Root,
            requester: None,
            privileged: true,
        }
    }

    /// An access from CPU `cpu` in physical address space `pas`.
    pub fn cpu(cpu: u32, pas: Pas) -> AccessAttrs {
        AccessAttrs {
            pas,
            requester: Some(cpu),
            privileged: true,
        }
    }
}

/// Why a device refused an access. Either becomes an external abort
/// (synchronous, `DFSC = 0b010000`) in the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MmioError {
    /// The device has no register at this offset/size ("decode error").
    #[error("no register at offset {offset:#x} (size {size})")]
    Decode { offset: u64, size: u8 },
    /// The device refused this access (e.g. a Root-only register from
    /// another PAS, or a write to a read-only register it reports as error).
    #[error("access refused at offset {offset:#x}")]
    Slave { offset: u64 },
}

pub type MmioResult<T> = Result<T, MmioError>;

/// A memory-mapped device. `size` is 1, 2, 4 or 8 bytes; `offset` is
/// relative to the start of the device's region on the bus.
pub trait MmioDevice: Send + Sync {
    /// Short name used in logs ("pl011", "v2m-sysregs").
    fn name(&self) -> &str;
    fn read(&self, offset: u64, size: u8, attrs: AccessAttrs) -> MmioResult<u64>;
    fn write(&self, offset: u64, size: u8, value: u64, attrs: AccessAttrs) -> MmioResult<()>;

    /// Whether the device has a backing store the host can preload images
    /// into (a NOR flash array), see [`MmioDevice::preload`].
    fn can_preload(&self) -> bool {
        false
    }

    /// Host-side preload of `bytes` into the device's backing store at
    /// `offset` (the FIP into flash0), bypassing its programming interface.
    fn preload(&self, offset: u64, _bytes: &[u8]) -> MmioResult<()> {
        Err(MmioError::Decode { offset, size: 0 })
    }
}
