"""One model's graph: its nodes and edges, and the answers about its wiring, asked of it.

As torch.fx's `Graph`, the graph answers its own questions: the inputs of a node (in edge
order, which is a Concat's order), its users, a topological order, the Input and output
nodes. Each answer is computed once and kept on the graph: a graph is never changed in
place (an edit makes a new one), so an answer cannot go stale.

The answers hold for a broken graph too (the lint reports what is broken): an edge to a
missing node or from a node to itself connects nothing, and nodes on a cycle are left out of
the order.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "type": self.type, "params": dict(self.params)}


@dataclass(frozen=True)
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [[a, b] for a, b in self.edges],
        }

    # -- nodes --------------------------------------------------------------------------------
    @cached_property
    def _by_id(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for node in self.nodes:
            found.setdefault(node.id, node)  # a repeated id is the lint's to report
        return found

    @cached_property
    def ids(self) -> list[str]:
        """Node ids in the designer's order, each once."""
        return list(self._by_id)

    def node(self, node_id: str) -> Node | None:
        return self._by_id.get(node_id)

    # -- wiring -------------------------------------------------------------------------------
    @cached_property
    def wires(self) -> list[tuple[str, str]]:
        """The edges that connect two nodes (not an edge to a missing node, nor to itself)."""
        return [(s, t) for s, t in self.edges if s != t and s in self._by_id and t in self._by_id]

    @cached_property
    def _inputs(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {n: [] for n in self._by_id}
        for source, target in self.wires:
            found[target].append(source)
        return found

    @cached_property
    def _users(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {n: [] for n in self._by_id}
        for source, target in self.wires:
            found[source].append(target)
        return found

    def inputs_of(self, node_id: str) -> list[str]:
        """The nodes feeding `node_id`, in edge order (a Concat joins them in this order)."""
        return self._inputs.get(node_id, [])

    def users_of(self, node_id: str) -> list[str]:
        """The nodes `node_id` feeds, in edge order."""
        return self._users.get(node_id, [])

    def descendants(self, node_id: str) -> set[str]:
        """Every node reachable from `node_id` (itself excluded)."""
        found: set[str] = set()
        todo = list(self.users_of(node_id))
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.users_of(current))
        return found

    # -- ends ---------------------------------------------------------------------------------
    @cached_property
    def input_nodes(self) -> list[str]:
        """The Input nodes, in the designer's order (a sound model has exactly one)."""
        return [n for n, node in self._by_id.items() if node.type == "Input"]

    @property
    def input_node(self) -> str | None:
        return self.input_nodes[0] if self.input_nodes else None

    @cached_property
    def output_nodes(self) -> list[str]:
        """The nodes that end a branch: fed by something, feeding nothing, not an Input (a sound
        model has exactly one)."""
        return [
            n
            for n, node in self._by_id.items()
            if node.type != "Input" and self._inputs[n] and not self._users[n]
        ]

    @property
    def output_node(self) -> str | None:
        """The model's output: its one output node (the last listed, while there are several);
        None for a model with no layer fed yet."""
        return self.output_nodes[-1] if self.output_nodes else None

    # -- order --------------------------------------------------------------------------------
    @cached_property
    def cycles(self) -> list[list[str]]:
        """Each group of nodes that feed each other round a loop, in the designer's order."""
        stuck = set(self.ids) - set(self._kahn(frozenset()))
        if not stuck:
            return []
        # Only the nodes a topological sort cannot reach can be on a cycle; search just those.
        sub = nx.DiGraph((s, t) for s, t in self.wires if s in stuck and t in stuck)
        position = {node_id: i for i, node_id in enumerate(self.ids)}
        found = [
            sorted(part, key=position.__getitem__)
            for part in nx.strongly_connected_components(sub)
            if len(part) > 1
        ]
        return sorted(found, key=lambda part: position[part[0]])

    @cached_property
    def cyclic(self) -> frozenset[str]:
        """The nodes on a cycle."""
        return frozenset(n for part in self.cycles for n in part)

    @cached_property
    def order(self) -> list[str]:
        """A topological order of every node not on a cycle; the designer's order breaks ties,
        so a generated forward reads like the canvas."""
        return self._kahn(self.cyclic)

    def _kahn(self, skip: frozenset[str]) -> list[str]:
        position = {node_id: i for i, node_id in enumerate(self.ids)}
        waiting = {
            n: sum(1 for s in self._inputs[n] if s not in skip) for n in self.ids if n not in skip
        }
        ready = [position[n] for n, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            node_id = self.ids[heapq.heappop(ready)]
            order.append(node_id)
            for target in self._users[node_id]:
                if target in waiting:
                    waiting[target] -= 1
                    if waiting[target] == 0:
                        heapq.heappush(ready, position[target])
        return order

    @cached_property
    def depths(self) -> dict[str, int]:
        """Each node's depth: the longest chain of edges that reaches it from a node nothing
        feeds. On a graph with a cycle, the depth a cycle would make endless is capped at the
        node count."""
        depth = {n: 0 for n in self.ids}
        if not self.cyclic and len(self.order) == len(self.ids):
            for node_id in self.order:
                depth[node_id] = max((depth[s] + 1 for s in self._inputs[node_id]), default=0)
            return depth
        cap = len(self.ids)
        for _ in range(cap):
            for source, target in self.wires:
                depth[target] = max(depth[target], min(depth[source] + 1, cap))
        return depth
