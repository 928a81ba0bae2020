"""Documents and their chunks."""

from __future__ import annotations

from store.base import StoreBase, utc_now
from store.errors import NotFound
from store.records import Chunk, ChunkSpan, Document, NewDocument


class DocumentsMixin(StoreBase):
    def add_document(
        self, project_id: int, doc: NewDocument, chunks: list[ChunkSpan]
    ) -> Document | None:
        """Store a document with its chunks in one transaction.

        Returns None (and writes nothing) when the project already holds a document with
        the same content hash.
        """
        with self.transaction() as c:
            exists = c.execute(
                "SELECT 1 FROM documents WHERE project_id = ? AND content_hash = ?",
                (project_id, doc.content_hash),
            ).fetchone()
            if exists:
                return None
            cur = c.execute(
                "INSERT INTO documents(project_id, path, title, content_hash, encoding, language,"
                " size_bytes, text, imported_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (project_id, doc.path, doc.title, doc.content_hash, doc.encoding, doc.language,
                 doc.size_bytes, doc.text, utc_now()),
            )
            doc_id = int(cur.lastrowid or 0)
            c.executemany(
                "INSERT INTO chunks(project_id, document_id, ordinal, start_offset, end_offset, text,"
                " page_start, page_end) VALUES (?,?,?,?,?,?,?,?)",
                [(project_id, doc_id, s.ordinal, s.start, s.end, s.text, s.page_start, s.page_end)
                 for s in chunks],
            )
        return self.document(doc_id)

    def list_documents(self, project_id: int) -> list[Document]:
        """The project's documents with their chunk counts, without their text."""
        rows = self.conn.execute(
            "SELECT d.id, d.project_id, d.path, d.title, d.content_hash, d.encoding, d.language,"
            " d.size_bytes, d.imported_at, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id)"
            " AS chunk_count FROM documents d WHERE d.project_id = ? ORDER BY d.id",
            (project_id,),
        )
        return [Document.from_row(r) for r in rows]

    def document(self, document_id: int) -> Document:
        """One document with its full text; NotFound otherwise."""
        row = self.conn.execute(
            "SELECT d.*, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count"
            " FROM documents d WHERE d.id = ?",
            (document_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"No document with id {document_id}.")
        return Document.from_row(row)

    def delete_document(self, document_id: int) -> None:
        """Delete a document and its chunks; its questions keep their text but lose the link."""
        with self.transaction() as c:
            c.execute("DELETE FROM documents WHERE id = ?", (document_id,))

    def document_chunks(self, document_id: int) -> list[Chunk]:
        """A document's chunks in order."""
        rows = self.conn.execute(
            "SELECT * FROM chunks WHERE document_id = ? ORDER BY ordinal", (document_id,)
        )
        return [Chunk.from_row(r) for r in rows]

    def project_chunks(
        self, project_id: int, document_ids: list[int] | None = None, limit: int | None = None
    ) -> list[Chunk]:
        """The project's chunks in document order, optionally from some documents only."""
        sql = "SELECT * FROM chunks WHERE project_id = ?"
        args: list[object] = [project_id]
        if document_ids:
            sql += f" AND document_id IN ({','.join('?' * len(document_ids))})"
            args += document_ids
        sql += " ORDER BY document_id, ordinal"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [Chunk.from_row(r) for r in self.conn.execute(sql, args)]

    def chunk(self, chunk_id: int) -> Chunk:
        """One chunk; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
        if row is None:
            raise NotFound(f"No chunk with id {chunk_id}.")
        return Chunk.from_row(row)
