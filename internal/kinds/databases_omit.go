//go:build probe_omit_databases

package kinds

// Databases says whether this build has the database and broker kinds:
// not with probe_omit_databases.
const Databases = false

var postgresImpl, redisImpl, mysqlImpl, memcachedImpl, amqpImpl, natsImpl, mqttImpl, mongodbImpl, kafkaImpl impl
