//go:build !probe_omit_databases

package kinds

import "github.com/probe-sh/probe/checks"

// Databases says whether this build has the database and broker kinds
// (postgres, redis, mysql, memcached, amqp, nats, mqtt, mongodb, kafka):
// the tag probe_omit_databases leaves them out (databases_omit.go).
const Databases = true

var (
	postgresImpl  = impl{checks.Postgres{}, buildPostgres}
	redisImpl     = impl{checks.Redis{}, buildRedis}
	mysqlImpl     = impl{checks.MySQL{}, buildMySQL}
	memcachedImpl = impl{checks.Memcached{}, buildMemcached}
	amqpImpl      = impl{checks.AMQP{}, buildAMQP}
	natsImpl      = impl{checks.NATS{}, buildNATS}
	mqttImpl      = impl{checks.MQTT{}, buildMQTT}
	mongodbImpl   = impl{checks.MongoDB{}, buildMongoDB}
	kafkaImpl     = impl{checks.Kafka{}, buildKafka}
)
