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
    write_ordered_with(&Pool::default(), w, tasks, render)
}

/// [`write_ordered`] with buffers from `spare`, which a caller writing one file in many calls
/// keeps between them.
pub(crate) fn write_ordered_with(
    spare: &Pool<u8>,
    w: &mut dyn Write,
    tasks: usize,
    render: impl Fn(usize, &mut Vec<u8>) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
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

/// Items per rendering task of [`write_pretty_array`].
pub(crate) const CHUNK: usize = 4_096;

/// Streams a JSON array of `n` items laid out as `serde_json`'s pretty printer lays out the
/// whole array: slices of items are rendered in parallel and written in order.
pub(crate) fn write_pretty_array<T: serde::Serialize>(
    w: &mut dyn std::io::Write,
    n: usize,
    item: impl Fn(usize) -> T + Sync,
) -> std::io::Result<()> {
    if n == 0 {
        return w.write_all(b"[]\n");
    }
    w.write_all(b"[")?;
    let scratch = Pool::default();
    write_ordered(w, n.div_ceil(CHUNK), |t, buf| {
        let mut one = scratch.take();
        for k in t * CHUNK..((t + 1) * CHUNK).min(n) {
            buf.extend_from_slice(if k == 0 { b"\n  " } else { b",\n  " });
            one.clear();
            serde_json::to_writer_pretty(&mut one, &item(k)).map_err(std::io::Error::other)?;
            // The item one level down, as inside the array: JSON strings hold no raw line
            // breaks, so every line break is the pretty printer's.
            for (i, line) in one.split(|&b| b == b'\n').enumerate() {
                if i > 0 {
                    buf.extend_from_slice(b"\n  ");
                }
                buf.extend_from_slice(line);
            }
        }
        scratch.give(one);
        Ok(())
    })?;
    w.write_all(b"\n]\n")
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
