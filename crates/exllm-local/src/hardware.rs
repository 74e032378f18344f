//! What the machine offers a local model: CPU features candle's kernels use (AVX, AVX2, FMA,
//! F16C, NEON...), cores, the thread count in force, and CUDA / Metal when this crate was built
//! with those features. Also sets the thread count: candle sizes its CPU pool once per process
//! from `CANDLE_NUM_THREADS` / `RAYON_NUM_THREADS`, so the count is chosen before first use.

use candle_core::Device;
use serde::Serialize;
use std::sync::OnceLock;

/// A report of the hardware local models run on.
#[derive(Debug, Clone, Serialize)]
pub struct HardwareInfo {
    /// CPU architecture (`x86_64`, `aarch64`).
    pub arch: &'static str,
    /// Operating system.
    pub os: &'static str,
    /// SIMD features detected at run time.
    pub cpu_features: Vec<&'static str>,
    /// Logical CPUs.
    pub logical_cpus: usize,
    /// Physical cores.
    pub physical_cores: usize,
    /// Threads candle uses in this process.
    pub threads: usize,
    /// Built with the `cuda` feature.
    pub cuda_built: bool,
    /// A CUDA device is usable.
    pub cuda_available: bool,
    /// Built with the `metal` feature.
    pub metal_built: bool,
    /// A Metal device is usable.
    pub metal_available: bool,
    /// The device models run on (`cpu`, `cuda:0`, `metal:0`).
    pub device: String,
}

static THREADS: OnceLock<usize> = OnceLock::new();

/// Sets candle's thread count for this process (default: physical cores) and returns the count
/// in force. Only the first call decides; later calls return that count. An explicit
/// `CANDLE_NUM_THREADS` in the environment wins over the default but not over `threads`.
pub fn configure_threads(threads: Option<usize>) -> usize {
    *THREADS.get_or_init(|| {
        let from_env = std::env::var("CANDLE_NUM_THREADS")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|n| *n > 0);
        let n = threads
            .filter(|n| *n > 0)
            .or(from_env)
            .unwrap_or_else(num_cpus::get_physical)
            .max(1);
        // candle reads these when its pool is first built, which has not happened yet as long as
        // every model load goes through this function first.
        std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        n
    })
}

fn cpu_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut f = Vec::new();
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        macro_rules! probe {
            ($($name:tt),*) => {$( if std::arch::is_x86_feature_detected!($name) { f.push($name); } )*};
        }
        probe!(
            "sse4.2",
            "avx",
            "avx2",
            "fma",
            "f16c",
            "avx512f",
            "avx512bw",
            "avx512vnni",
            "avxvnni"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! probe {
            ($($name:tt),*) => {$( if std::arch::is_aarch64_feature_detected!($name) { f.push($name); } )*};
        }
        probe!("neon", "dotprod", "i8mm", "fp16", "sve");
    }
    f
}

/// The device to run on: CUDA or Metal when candle was built with them (its `cuda` / `metal`
/// features, switched on by a dependent crate) and a device actually opens, else the CPU.
pub fn device() -> Device {
    open_device().0
}

/// What trying the accelerators found: whether each back end is compiled in and whether a
/// device of it opened. candle's `cuda_is_available()` / `metal_is_available()` only say the
/// feature is compiled, so a device counts as available only once one has been opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Probe {
    built: bool,
    opened: bool,
}

fn open_device() -> (Device, Probe, Probe) {
    let mut cuda = Probe {
        built: candle_core::utils::cuda_is_available(),
        opened: false,
    };
    let mut metal = Probe {
        built: candle_core::utils::metal_is_available(),
        opened: false,
    };
    if cuda.built {
        if let Ok(d) = Device::new_cuda(0) {
            cuda.opened = true;
            return (d, cuda, metal);
        }
    }
    if metal.built {
        if let Ok(d) = Device::new_metal(0) {
            metal.opened = true;
            return (d, cuda, metal);
        }
    }
    (Device::Cpu, cuda, metal)
}

/// Detects the hardware.
pub fn detect() -> HardwareInfo {
    let (dev, cuda, metal) = open_device();
    report(&dev, cuda, metal)
}

fn report(dev: &Device, cuda: Probe, metal: Probe) -> HardwareInfo {
    HardwareInfo {
        arch: std::env::consts::ARCH,
        os: std::env::consts::OS,
        cpu_features: cpu_features(),
        logical_cpus: num_cpus::get(),
        physical_cores: num_cpus::get_physical(),
        threads: THREADS
            .get()
            .copied()
            .unwrap_or_else(|| configure_threads(None)),
        cuda_built: cuda.built,
        cuda_available: cuda.opened,
        metal_built: metal.built,
        metal_available: metal.opened,
        device: match dev {
            Device::Cpu => "cpu".to_owned(),
            Device::Cuda(_) => "cuda:0".to_owned(),
            Device::Metal(_) => "metal:0".to_owned(),
        },
    }
}

impl std::fmt::Display for HardwareInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "cpu:        {} ({}), {} logical CPUs, {} physical cores",
            self.arch, self.os, self.logical_cpus, self.physical_cores
        )?;
        writeln!(
            f,
            "features:   {}",
            if self.cpu_features.is_empty() {
                "none detected".to_owned()
            } else {
                self.cpu_features.join(" ")
            }
        )?;
        writeln!(
            f,
            "threads:    {} (set with EXLLM_LOCAL_THREADS)",
            self.threads
        )?;
        let gpu = |built: bool, avail: bool| match (built, avail) {
            (false, _) => "not built (cargo feature off)",
            (true, true) => "available",
            (true, false) => "built, no device found",
        };
        writeln!(
            f,
            "cuda:       {}",
            gpu(self.cuda_built, self.cuda_available)
        )?;
        writeln!(
            f,
            "metal:      {}",
            gpu(self.metal_built, self.metal_available)
        )?;
        write!(f, "device:     {}", self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compiled_back_end_without_a_device_is_not_available() {
        let built_only = Probe {
            built: true,
            opened: false,
        };
        let info = report(&Device::Cpu, built_only, Probe::default());
        assert!(info.cuda_built && !info.cuda_available);
        assert!(!info.metal_built && !info.metal_available);
        assert_eq!(info.device, "cpu");
        let shown = info.to_string();
        assert!(
            shown.contains("cuda:       built, no device found"),
            "{shown}"
        );
        assert!(shown.contains("metal:      not built"), "{shown}");
    }

    #[test]
    fn this_machine_reports_what_it_opened() {
        let info = detect();
        // No accelerator is compiled into the test build: nothing may claim to be available.
        assert_eq!(info.cuda_available, info.device.starts_with("cuda"));
        assert_eq!(info.metal_available, info.device.starts_with("metal"));
    }
}
