package checks

import "encoding/binary"

// DNSQuery is the query d sends, for the fuzz test's seeds.
func DNSQuery(d DNS) []byte {
	_, query, _ := d.question()
	return query
}

// JudgeDNS reads reply as the answer to d's question, its ID taken as
// reply's own, and judges it as Run does once the exchange is over.
func JudgeDNS(d DNS, reply []byte, overTCP bool) (string, error) {
	q, _, err := d.question()
	if err != nil {
		return "", err
	}
	if len(reply) >= 2 {
		q.ID = binary.BigEndian.Uint16(reply)
	}
	return d.answer(reply, q, overTCP)
}
