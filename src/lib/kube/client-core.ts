// The two client-node classes every command needs, imported from their own modules rather than
// from the package index. The index re-exports all of client-node's generated API classes and
// models (about 1.3 MB), and as the package does not declare itself free of side effects, a
// bundler must keep everything the index imports. So a command that reads plain JSON only
// (images, helm list) loads none of that; commands that use a typed API import it from the index.
// Both paths name the same modules, so these are the very classes the index exports.
export {KubeConfig} from '@kubernetes/client-node/dist/config.js'
export {ApiException} from '@kubernetes/client-node/dist/gen/apis/exception.js'
