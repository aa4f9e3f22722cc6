//! Large outputs made in parallel pieces and written in order.

use rayon::prelude::*;
use std::io::Write;

/// Renders `tasks` pieces of a file in parallel (rayon) and writes them to `w` in order, on
/// the calling thread, while the next pieces are rendered. Piece buffers are recycled: freeing
/// and allocating megabytes per piece would hand pages back to the kernel and fault them in
/// again.
pub(crate) fn write_ordered(
    w: &mut dyn Write,
    tasks: usize,
    render: impl Fn(usize, &mut Vec<u8>) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    let spare = Pool::default();
    ordered(
        tasks,
        |t| {
            let mut buf = spare.take();
            render(t, &mut buf).map(|()| buf)
        },
        |piece| {
            w.write_all(&piece)?;
            spare.give(piece);
            Ok(())
        },
    )
}

/// Makes `tasks` items in parallel (rayon), a window of a few per thread at a time, and hands
/// them to `take` in order on the calling thread while the next window is made: memory stays
/// bounded by the window.
pub(crate) fn ordered<T: Send>(
    tasks: usize,
    make: impl Fn(usize) -> std::io::Result<T> + Sync,
    mut take: impl FnMut(T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let window = 2 * rayon::current_num_threads().max(1);
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<T>>(window);
    let make = &make;
    std::thread::scope(|s| {
        s.spawn(move || {
            for start in (0..tasks).step_by(window) {
                let end = (start + window).min(tasks);
                let items: Vec<_> = (start..end).into_par_iter().map(make).collect();
                for item in items {
                    if tx.send(item).is_err() {
                        return; // the taker gave up
                    }
                }
            }
        });
        let mut taken = || -> std::io::Result<()> {
            for _ in 0..tasks {
                let item = rx
                    .recv()
                    .map_err(|_| std::io::Error::other("output renderer stopped"))??;
                take(item)?;
            }
            Ok(())
        };
        let result = taken();
        drop(rx); // unblocks the maker if taking failed
        result
    })
}

/// Cleared vectors for reuse.
pub(crate) struct Pool<T>(std::sync::Mutex<Vec<Vec<T>>>);

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool(std::sync::Mutex::new(Vec::new()))
    }
}

impl<T> Pool<T> {
    pub(crate) fn take(&self) -> Vec<T> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    }

    pub(crate) fn give(&self, mut v: Vec<T>) {
        v.clear();
        if let Ok(mut p) = self.0.lock() {
            p.push(v);
        }
    }
}
