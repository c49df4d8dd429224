// check.js SNAPSHOT OUT IDS - what memlab reads in a .heapsnapshot.
//
// Loads SNAPSHOT with memlab (which also computes dominators and
// retained sizes) and writes to OUT as JSON: node and edge counts, every
// node as [id, type, self_size, retained_size, edge_count], and for each
// node id in IDS (comma-separated) its edges as [type, name_or_index,
// to_id].  Run by tests/test_export.py with NODE_PATH set to where
// memlab is installed.
'use strict';
const fs = require('fs');
const {getFullHeapFromFile} = require('@memlab/heap-analysis');

(async () => {
  const [file, out, ids] = process.argv.slice(2);
  const heap = await getFullHeapFromFile(file);
  const res = {node_count: heap.nodes.length, edge_count: heap.edges.length,
               nodes: [], edges: {}};
  heap.nodes.forEach(n => {
    res.nodes.push([n.id, n.type, n.self_size, n.retainedSize, n.edge_count]);
  });
  for (const id of (ids || '').split(',').filter(s => s)) {
    const n = heap.getNodeById(Number(id));
    res.edges[id] = n ? n.references.map(e => [e.type, e.name_or_index, e.toNode.id])
                      : null;
  }
  fs.writeFileSync(out, JSON.stringify(res));
})().catch(e => {
  console.error(String(e && e.stack || e));
  process.exit(1);
});
